"""`reconcile`: recompute from git and PR metadata what should be in flight, and make it so.

Safe at any time (a schedule, by hand, after every `promote`): it opens the promotions that were lost
(catch_up.py), re-evaluates and posts the gate of every open promotion PR (gate_verdict.py), and turns
auto-merge on where the environment is auto. ``--dry-run`` reads everything and changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache

from gitops_promotion.commands.catch_up import Action, catch_up, open_prs
from gitops_promotion.commands.gate_verdict import GateVerdict, gate_verdict, record_override, utc_now
from gitops_promotion.context import Context
from gitops_promotion.errors import PromotionError
from gitops_promotion.history.inventory import collect
from gitops_promotion.providers.base import PullRequest
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState, StateError, parse_state


def reconcile(ctx: Context, *, clock: Callable[[], datetime] = utc_now) -> Result:
    """Open lost promotions, post every open promotion PR's gate, ensure auto-merge; one line per app changed."""
    listed = cache(lambda: open_prs(ctx))
    inventory = collect(ctx, fetch=True)
    actions = catch_up(ctx, inventory, listed=listed)
    opened = sorted({a.pr_number for a in actions if a.pr_number is not None})
    known = {pr.number for pr in listed()}
    # PRs opened just now get their (pending) gate at once, so the required check exists from the start.
    prs = [*listed(), *(ctx.provider.get_pr(n) for n in opened if n not in known)]
    for pr in prs:
        actions += _tend(ctx, pr, now=clock())
    return _result(ctx, actions, apps=len(inventory.apps))


def _tend(ctx: Context, pr: PullRequest, *, now: datetime) -> list[Action]:
    """Post ``pr``'s gate when it changed and turn auto-merge on where the env is auto."""
    try:
        state = parse_state(pr.body)
    except StateError:
        state = None
    if state is None or state.type not in ("promote", "release", "rollback") or state.env not in ctx.config.env_names:
        return []
    name = f"{state.group}/{state.app}"
    try:
        verdict = gate_verdict(ctx, pr, state, now=now)
        actions = _post(ctx, pr, state, verdict, name)
        actions += _auto_merge(ctx, pr, state, name)
    except PromotionError as exc:
        return [Action(name, "failed", f"{name}: pull request {pr.number}: {exc.message}", pr.number, state.env)]
    return actions


def _post(ctx: Context, pr: PullRequest, state: PromotionState, verdict: GateVerdict, name: str) -> list[Action]:
    if _current(ctx, pr) == (verdict.state, verdict.description):
        return []
    line = f"{name}: gate of pull request {pr.number} ({state.env}) is {verdict.state}: {verdict.description}"
    if ctx.dry_run:
        return [Action(name, "would-post", "would post: " + line, pr.number, state.env)]
    warnings = record_override(ctx, pr, state, verdict)  # first: a green gate may merge the PR at once
    ctx.provider.report_gate(pr, state=verdict.state, description=verdict.description)
    return [Action(name, "gate", line, pr.number, state.env)] + [Action(name, "warning", w) for w in warnings]


def _current(ctx: Context, pr: PullRequest) -> tuple[str, str] | None:
    return ctx.provider.current_gate(pr)


def _auto_merge(ctx: Context, pr: PullRequest, state: PromotionState, name: str) -> list[Action]:
    if pr.auto_merge or not ctx.config.automated(state.env, state.group, state.app):
        return []
    if ctx.dry_run:
        return [Action(name, "would-auto-merge", f"would turn auto-merge on for pull request {pr.number}")]
    outcome = ctx.provider.set_auto_merge(
        pr, enabled=True, merge_method=ctx.config.merge_method, delete_branch=ctx.config.delete_branch
    )
    what = "merged at once" if outcome == "merged" else "auto-merge turned on"
    return [Action(name, "auto-merge", f"{name}: pull request {pr.number} ({state.env}): {what}", pr.number)]


def _result(ctx: Context, actions: list[Action], *, apps: int) -> Result:
    counts: dict[str, int] = {}
    for action in actions:
        counts[action.kind] = counts.get(action.kind, 0) + 1
    failed = counts.get("failed", 0)
    words = {
        "opened": "opened",
        "updated": "updated",
        "would-open": "would open",
        "gate": "gates posted",
        "would-post": "gates would be posted",
        "auto-merge": "auto-merge set",
        "would-auto-merge": "auto-merge would be set",
        "blocked": "blocked by policy",
        "skipped": "left to other runs",
        "failed": "failed",
    }
    parts = [f"{counts[k]} {w}" for k, w in words.items() if counts.get(k)]
    prefix = "dry run: " if ctx.dry_run else ""
    message = f"{prefix}reconciled {apps} app(s): " + (", ".join(parts) if parts else "nothing to do")
    return Result(
        outcome="changed" if any(k in counts for k in ("opened", "updated", "gate", "auto-merge")) else "nothing-to-do",
        message=message,
        lines=tuple(a.line for a in actions),
        data={
            "actions": [
                {"app": a.app, "kind": a.kind, "pr_number": a.pr_number, "environment": a.env, "line": a.line}
                for a in actions
            ],
            "dry_run": ctx.dry_run,
        },
        exit_code=1 if failed else 0,
    )
