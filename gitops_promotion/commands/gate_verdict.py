"""The gate's verdict on one promotion PR: Flux, soak time, deployment windows and the override label, composed
in one place so `status`, `reconcile` and `show` say the same thing.

The verdict is what the tool posts as the commit status ``gitops-promotion/gate``: success, pending or failure,
with a one-line description such as ``waiting: soak 42m left on qa``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from gitops_promotion.context import Context
from gitops_promotion.gate import FluxSelection, GateReading, read_gate, selection_for
from gitops_promotion.providers.base import OVERRIDE_LABEL, CommitStatus, PullRequest, StatusState
from gitops_promotion.soak import short_duration, soak_reading
from gitops_promotion.state import PromotionState
from gitops_promotion.windows import evaluate_windows

OVERRIDE_NOTE = "Gate overridden"  # the PR body line that records an override (written once)


@dataclass(frozen=True)
class GateVerdict:
    state: StatusState
    description: str  # one short line, e.g. "open: qa reconciled on 5f0e7c1a"
    flux: GateReading | None = None
    commit: str | None = None  # the commit whose Flux statuses decided
    overridden: str = ""  # what the override label let pass ("" when nothing was overridden)

    @property
    def exit_code(self) -> int:
        return 0 if self.state == "success" else 1


def utc_now() -> datetime:
    return datetime.now(timezone.utc)


def flux_selection(ctx: Context, state: PromotionState) -> FluxSelection | None:
    """Which Flux statuses gate ``state`` (the previous env's ``flux:`` selection), None when nothing gates it."""
    previous = ctx.config.previous_env(state.env) if state.env in ctx.config.env_names else None
    if state.type != "promote" or previous is None:
        return None
    return selection_for(ctx.config, state.group, previous.name)


def gate_verdict(ctx: Context, pr: PullRequest, state: PromotionState, *, now: datetime) -> GateVerdict:
    """Read Flux's statuses and the policies and compose the verdict (``now`` is timezone-aware)."""
    from gitops_promotion.commands.status import observe

    selection = flux_selection(ctx, state)
    previous = ctx.config.previous_env(state.env) if state.env in ctx.config.env_names else None
    if selection is None or previous is None:
        why = f"{state.type} pull request" if state.type != "promote" else f"{state.env} is the first environment"
        return compose(ctx, pr, state, reading=None, commit=None, statuses=[], now=now, why=why)
    if not state.sha:  # fail closed: without the promoted commit there is no Flux status to wait for
        return GateVerdict("failure", f"closed: PR {pr.number} names no commit of {previous.name} (metadata sha)")
    seen = observe(ctx, state, previous.name, selection)
    statuses = soak_statuses(ctx, state, seen.reading, seen.commit)
    return compose(ctx, pr, state, reading=seen.reading, commit=seen.commit, statuses=statuses, now=now)


def soak_statuses(ctx: Context, state: PromotionState, reading: GateReading, commit: str) -> list[CommitStatus]:
    """The statuses soak time is measured on (read only when Flux is green and the previous env soaks)."""
    previous = ctx.config.previous_env(state.env)
    if reading.verdict != "success" or previous is None:
        return []
    if ctx.config.policy(previous.name, state.group, state.app).soak_seconds <= 0:
        return []
    statuses = list(ctx.provider.commit_statuses(state.sha))
    if commit != state.sha:
        statuses += ctx.provider.commit_statuses(commit)
    return statuses


def compose(
    ctx: Context,
    pr: PullRequest,
    state: PromotionState,
    *,
    reading: GateReading | None,
    commit: str | None,
    statuses: list[CommitStatus],
    now: datetime,
    why: str = "",
) -> GateVerdict:
    """The verdict from a Flux reading (None: nothing to wait for) and the env policies at ``now``."""
    previous = ctx.config.previous_env(state.env) if state.env in ctx.config.env_names else None
    prev_name = previous.name if previous else ""
    short = (commit or state.sha)[:8]
    if reading is not None:
        if reading.verdict == "failure":
            return GateVerdict("failure", f"failed: {prev_name} did not reconcile {short}", reading, commit)
        if reading.verdict != "success":
            return GateVerdict("pending", f"waiting: Flux has not reconciled {prev_name} on {short}", reading, commit)
    blockers = _blockers(ctx, state, statuses, now, reading)
    if reading is None:
        opened = f"open: {why}"
    else:
        commits = [state.sha[:8]] + ([short] if commit and commit != state.sha else [])
        opened = f"open: {prev_name} reconciled on {', '.join(commits)}"
    if not blockers:
        return GateVerdict("success", opened, reading, commit)
    if OVERRIDE_LABEL in ctx.provider.pr_labels(pr):
        what = "; ".join(blockers)
        return GateVerdict("success", f"open: override label passes {what}"[:140], reading, commit, overridden=what)
    return GateVerdict("pending", blockers[0], reading, commit)


def _blockers(
    ctx: Context, state: PromotionState, statuses: list[CommitStatus], now: datetime, reading: GateReading | None
) -> list[str]:
    """What still holds the PR once Flux is green: soak time out of the previous env, windows of this env."""
    found = []
    previous = ctx.config.previous_env(state.env)
    if previous is not None and reading is not None and state.type == "promote":
        soak = ctx.config.policy(previous.name, state.group, state.app).soak_seconds
        if soak > 0:
            selection = selection_for(ctx.config, state.group, previous.name)

            def matches(status: CommitStatus) -> bool:
                return read_gate([status], selection).verdict != "none"  # gate.py decides which statuses count

            soaked = soak_reading(statuses, timedelta(seconds=soak), now, matches=matches)
            if not soaked.done:
                found.append(f"waiting: soak {short_duration(soaked.remaining)} left on {previous.name}")
    windows = ctx.config.policy(state.env, state.group, state.app).windows
    if windows and not state.forced:  # `release --force` passed the windows when it opened the PR
        verdict = evaluate_windows(windows, now)
        if not verdict.open:
            found.append(f"closed: {verdict.reason}")
    return found


def record_override(ctx: Context, pr: PullRequest, state: PromotionState, verdict: GateVerdict) -> list[str]:
    """Write the override into the PR body (once) and tell the notifiers; their warning lines."""
    from gitops_promotion.commands import notify

    if not verdict.overridden:
        return []
    current = ctx.provider.get_pr(pr.number)
    if OVERRIDE_NOTE in current.body:
        return []
    note = f"\n\n{OVERRIDE_NOTE} by label `{OVERRIDE_LABEL}` at {utc_now():%Y-%m-%d %H:%M} UTC: {verdict.overridden}"
    ctx.provider.update_pr(current, title=current.title, body=current.body.rstrip() + note)
    return notify.send(ctx, "override", state, pr, detail=verdict.overridden)
