"""Deployment windows: when promotions into an environment may merge (allow) or must wait (deny).

Each window opens at every time its cron expression names, in its IANA time zone, and stays open for its
duration. Cron parsing is cronsim's (a maintained library); time zones come from zoneinfo with the tzdata package
as the database where the system has none.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

from gitops_promotion.durations import parse_duration

if TYPE_CHECKING:
    from zoneinfo import ZoneInfo

    from gitops_promotion.config import WindowRule, WindowSpec

HORIZON = timedelta(days=400)  # look this far ahead for the next opening, then say there is none
MAX_STEPS = 2000


@dataclass(frozen=True)
class WindowVerdict:
    """Whether the windows let a promotion merge at ``at``; when not, when they next do."""

    open: bool
    reason: str  # one short line, e.g. "window opens Mon 09:00 Europe/Stockholm"
    next_opening: datetime | None = None


def check_zone(name: str) -> ZoneInfo:
    """The time zone ``name``; ValueError naming it when the IANA database does not know it."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        msg = f"unknown time zone {name!r} (use an IANA name such as Europe/Stockholm or UTC)"
        raise ValueError(msg) from None


def check_cron(expr: str) -> None:
    """ValueError with cronsim's reason when ``expr`` is not a valid five-field cron expression."""
    from cronsim import CronSim, CronSimError

    try:
        CronSim(expr, datetime(2000, 1, 1, tzinfo=timezone.utc))
    except CronSimError as exc:
        msg = f"invalid cron expression {expr!r}: {exc}"
        raise ValueError(msg) from None


def _active_until(spec: WindowSpec, at: datetime) -> datetime | None:
    """The end of ``spec``'s window that contains ``at``, None when ``at`` is outside every window.

    The latest start at or before ``at`` is the only one that matters: every window lasts as long, so the
    latest start also ends last.
    """
    from cronsim import CronSim

    local = at.astimezone(check_zone(spec.timezone))
    length = timedelta(seconds=parse_duration(spec.duration, bare_unit="m"))
    # cronsim's reverse iteration excludes its start; one second later includes a window opening exactly now.
    start = next(CronSim(spec.cron, local + timedelta(seconds=1), reverse=True), None)
    if start is None:
        return None
    end = start + length
    return end if end > local else None


def _next_start(spec: WindowSpec, at: datetime) -> datetime | None:
    from cronsim import CronSim

    return next(CronSim(spec.cron, at.astimezone(check_zone(spec.timezone))), None)


def _is_open(rules: Sequence[WindowRule], at: datetime) -> tuple[bool, list[datetime]]:
    """(open at ``at``, the ends of the deny windows active then)."""
    allows = [r.allow for r in rules if r.allow is not None]
    denies = [r.deny for r in rules if r.deny is not None]
    deny_ends = [end for end in (_active_until(d, at) for d in denies) if end is not None]
    allowed = not allows or any(_active_until(a, at) is not None for a in allows)
    return allowed and not deny_ends, deny_ends


def next_opening(rules: Sequence[WindowRule], now: datetime) -> datetime | None:
    """The first moment from ``now`` on when the windows are open (``now`` itself when open); None beyond HORIZON."""
    at = now
    allows = [r.allow for r in rules if r.allow is not None]
    for _ in range(MAX_STEPS):
        if at - now > HORIZON:
            return None
        is_open, deny_ends = _is_open(rules, at)
        if is_open:
            return at
        if deny_ends:
            at = max(deny_ends)  # leave every active freeze first
            continue
        starts = [s for s in (_next_start(a, at) for a in allows) if s is not None]
        if not starts:
            return None
        at = min(starts)
    return None


def evaluate_windows(rules: Sequence[WindowRule] | None, now: datetime) -> WindowVerdict:
    """The windows' verdict at ``now`` (timezone-aware); no rules means always open."""
    if not rules:
        return WindowVerdict(True, "no deployment windows")
    opening = next_opening(rules, now)
    if opening == now:
        return WindowVerdict(True, "inside a deployment window")
    zone = _display_zone(rules)
    if opening is None:
        return WindowVerdict(False, f"no window opens within {HORIZON.days} days")
    return WindowVerdict(False, f"window opens {_when(opening, now, zone)} {zone}", opening)


def _display_zone(rules: Sequence[WindowRule]) -> str:
    first = rules[0].allow or rules[0].deny
    return first.timezone if first is not None else "UTC"


def _when(opening: datetime, now: datetime, zone: str) -> str:
    local = opening.astimezone(check_zone(zone))
    if opening - now < timedelta(days=6):
        return local.strftime("%a %H:%M")
    return local.strftime("%a %d %b %H:%M")
