"""Group and app names as flags give them: checked without loading pydantic (set-image stays fast)."""

from __future__ import annotations

import re

from gitops_promotion.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]{0,126}[A-Za-z0-9])?$")


def validate_name(kind: str, value: str) -> str:
    """Check a group or app name (DNS-label-like, so it is safe in paths and branch names)."""
    if not _NAME.match(value) or ".." in value:
        msg = f"--{kind} {value!r} is not a valid name (letters, digits, '.', '_', '-'; no path separators)"
        raise ConfigError(msg)
    return value
