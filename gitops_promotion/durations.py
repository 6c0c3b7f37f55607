"""Durations as users write them: ``90s``, ``10m``, ``1h30m``, ``7d``.

A bare number is refused unless the caller names its unit: only the config's ``status_timeout_minutes`` does
(minutes, for the Go tool's files; DESIGN 2). Flags always need a unit (issue 14).
"""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(value: str | int | float, *, bare_unit: str | None = None) -> float:
    """Seconds in ``value``; a bare number counts in ``bare_unit`` (None: refused). Raises ValueError."""
    if isinstance(value, bool):
        msg = f"expected a duration, got {value!r}"
        raise ValueError(msg)  # noqa: TRY004 - callers (pydantic, click) report ValueError as bad input
    text = str(value).strip()
    if isinstance(value, int | float) or re.fullmatch(r"\d+(?:\.\d+)?", text):
        if bare_unit is None and float(text) != 0:  # zero is zero in any unit
            msg = f"{text!r} needs a unit (e.g. 90s, 10m, 1h30m, 7d)"
            raise ValueError(msg)
        seconds = float(text) * _UNITS[bare_unit or "s"]
    elif text and _PART.sub("", text) == "" and _PART.search(text):
        seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
    else:
        msg = f"invalid duration {value!r} (use e.g. 90s, 10m, 1h30m, 7d)"
        raise ValueError(msg)
    if seconds < 0:
        msg = f"duration must not be negative: {value!r}"
        raise ValueError(msg)
    return seconds
