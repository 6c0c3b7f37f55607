"""Redaction of secrets from text the tool prints: authorization headers and known token values."""

from __future__ import annotations

import re
from collections.abc import Sequence

_SECRET_HEADER = re.compile(r"(?i)(authorization:\s*\w+\s+)\S+")
# No forge issues a token this short; a shorter "secret" is refused at the edge (cli/options) and never used
# for redaction, where it would garble ordinary words ("Ma*** retries e***ceeded" for a token "x").
MIN_SECRET_LENGTH = 8


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with authorization headers and every secret replaced by ***."""
    text = _SECRET_HEADER.sub(r"\1***", text)
    for secret in secrets:
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, "***")
    return text
