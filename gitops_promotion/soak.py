"""Soak time: how long an environment has run a tag without a failure, from Flux's own status timestamps.

The clock starts at the first Flux success on a commit of the environment that deploys the tag; a later failure
restarts it at the next success. The runner's time is used only as "now" (injected), never as the deploy time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from gitops_promotion.providers.base import CommitStatus


@dataclass(frozen=True)
class SoakReading:
    done: bool
    remaining: timedelta  # zero when done
    since: datetime | None  # start of the current healthy run; None: no success yet


def soak_reading(
    statuses: Iterable[CommitStatus], soak: timedelta, now: datetime, *, matches: Callable[[CommitStatus], bool]
) -> SoakReading:
    """How much of ``soak`` is left, given every status on the commits that deploy the tag."""
    ours = sorted((s for s in statuses if matches(s)), key=lambda s: s.created_at)
    since: datetime | None = None
    for status in ours:
        if status.state == "failure":
            since = None  # a failure breaks the run; the clock restarts at the next success
        elif status.state == "success" and since is None:
            since = status.created_at
    if since is None:
        return SoakReading(done=False, remaining=soak, since=None)
    remaining = max(soak - (now - since), timedelta(0))
    return SoakReading(done=remaining == timedelta(0), remaining=remaining, since=since)


def short_duration(delta: timedelta) -> str:
    """``42m``, ``1h05m``, ``2d3h``: one short token for a status description (rounded up to the minute)."""
    minutes = max(int(-(-delta.total_seconds() // 60)), 0)
    if minutes < 60:
        return f"{minutes}m"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h"
