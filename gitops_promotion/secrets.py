"""Redaction of secrets from text the tool prints: authorization headers and known token values."""

from __future__ import annotations

import re
from collections.abc import Sequence

_SECRET_HEADER = re.compile(r"(?i)(authorization:\s*\w+\s+)\S+")


def redact(text: str, secrets: Sequence[str] = ()) -> str:
    """``text`` with authorization headers and every secret replaced by ***."""
    text = _SECRET_HEADER.sub(r"\1***", text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
