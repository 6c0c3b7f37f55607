"""Durations as users write them: ``90s``, ``10m``, ``1h30m``, ``7d``; a bare integer has a caller-chosen unit."""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_PART = re.compile(r"(\d+(?:\.\d+)?)([smhdw])")


def parse_duration(value: str | int | float, *, bare_unit: str = "s") -> float:
    """Seconds in ``value``; a bare number counts in ``bare_unit``. Raises ValueError with the reason."""
    if isinstance(value, bool):
        msg = f"expected a duration, got {value!r}"
        raise ValueError(msg)  # noqa: TRY004 - callers (pydantic, click) report ValueError as bad input
    if isinstance(value, int | float):
        seconds = float(value) * _UNITS[bare_unit]
    else:
        text = value.strip()
        if re.fullmatch(r"\d+(?:\.\d+)?", text):
            seconds = float(text) * _UNITS[bare_unit]
        elif text and _PART.sub("", text) == "" and _PART.search(text):
            seconds = sum(float(n) * _UNITS[u] for n, u in _PART.findall(text))
        else:
            msg = f"invalid duration {value!r} (use e.g. 90s, 10m, 1h30m, 7d)"
            raise ValueError(msg)
    if seconds < 0:
        msg = f"duration must not be negative: {value!r}"
        raise ValueError(msg)
    return seconds
