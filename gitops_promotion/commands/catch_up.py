"""Find and open the promotions that should be in flight and are not (the level-triggered half of `reconcile`).

The rule (issue 13): the newest change of an app in environment *i* came from a merged promotion PR carrying tag
T; environment *i+1* does not run T; no open PR covers it; and *i+1* has not changed since (a later release,
rollback or hand edit there is a decision, never undone). What is deployed comes from one pass over the tree
(history.inventory: one grep and one log per branch); the forge is asked only about apps that differ: one
look-up of the PR behind the commit that last changed env *i*, and one listing of open PRs.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass

from gitops_promotion.commands.opening import ensure_allowed, head_branch, open_promotion
from gitops_promotion.context import Context
from gitops_promotion.errors import PromotionError
from gitops_promotion.history.inventory import Inventory
from gitops_promotion.history.timeline import AppKey, Change
from gitops_promotion.policy import evaluate
from gitops_promotion.providers.base import PullRequest
from gitops_promotion.result import Result
from gitops_promotion.state import TOOL_PREFIXES, PromotionState, StateError, parse_state


@dataclass(frozen=True)
class Gap:
    """``key`` runs ``tag`` in ``env`` (since ``change``) but not in ``next_env``."""

    key: AppKey
    env: str
    next_env: str
    tag: str
    change: Change


@dataclass(frozen=True)
class Action:
    """One thing reconcile did (or, in a dry run, would do) to one app."""

    app: str  # group/app
    kind: str  # opened, updated, would-open, blocked, skipped, failed, gate, auto-merge
    line: str
    pr_number: int | None = None
    env: str | None = None


def gaps(ctx: Context, inventory: Inventory) -> list[Gap]:
    """Apps whose next environment lags behind an environment that has not changed since (git only)."""
    envs = ctx.config.env_names
    found = []
    for key in inventory.apps:
        changes = inventory.history.get(key, [])
        for env, next_env in itertools.pairwise(envs):
            here = inventory.cell(key, env).image
            there = inventory.cell(key, next_env).image
            if here is None or there is None or not here.tag or here.tag == there.tag:
                continue
            last_here = next((c for c in reversed(changes) if c.env == env), None)
            if last_here is None or last_here.image is None or last_here.image.tag != here.tag:
                continue
            last_there = next((c for c in reversed(changes) if c.env == next_env), None)
            if last_there is not None and not _earlier(ctx, last_there, last_here):
                continue  # next_env changed since (release, rollback, hand edit): its own decision stands
            found.append(Gap(key, env, next_env, here.tag, last_here))
    return found


def _earlier(ctx: Context, first: Change, second: Change) -> bool:
    """Whether ``first`` happened strictly before ``second`` (ancestry on one branch, else commit time)."""
    if first.commit.sha == second.commit.sha:
        return False
    if ctx.location(first.env, first.group).branch == ctx.location(second.env, second.group).branch:
        # One branch: first-parent order is the truth (commit times may tie within a second).
        return ctx.repo.git("merge-base", first.commit.sha, second.commit.sha, check=False) == first.commit.sha
    return first.commit.timestamp < second.commit.timestamp


def open_prs(ctx: Context) -> list[PullRequest]:
    """Every open PR the tool made (one listing; adapters filter heads on their side)."""
    return [pr for pr in ctx.provider.list_open_prs("") if pr.head.startswith(TOOL_PREFIXES)]


def catch_up(
    ctx: Context,
    inventory: Inventory,
    *,
    listed: Callable[[], list[PullRequest]],
    skip: set[AppKey] | None = None,
) -> list[Action]:
    """Open the PR `promote` would have opened for every gap not covered by an open PR; one Action per app."""
    todo = [g for g in gaps(ctx, inventory) if g.key not in (skip or set())]
    if not todo:
        return []
    prs = listed()
    heads = {pr.head: pr for pr in prs}
    actions = []
    seen: set[AppKey] = set()
    for gap in todo:
        if gap.key in seen:
            continue  # one promotion per app per run: its branch is shared by every environment (per-app)
        seen.add(gap.key)
        action = _heal(ctx, gap, heads, prs)
        if action is not None:
            actions.append(action)
    return actions


def _covered(gap: Gap, prs: list[PullRequest]) -> PullRequest | None:
    """An open release or rollback into the next env, decided by a person, covers the gap too."""
    for pr in prs:
        state = _state(pr)
        if state and (state.group, state.app, state.env) == (*gap.key, gap.next_env) and state.type != "feature":
            return pr
    return None


def _source(ctx: Context, gap: Gap) -> tuple[PullRequest, PromotionState] | None:
    """The merged promotion PR that put ``gap.tag`` into ``gap.env``; None for a direct push or a foreign PR."""
    base = ctx.location(gap.env, gap.key[0]).branch
    merged = ctx.provider.pr_for_commit(gap.change.commit.sha, base)
    state = _state(merged) if merged is not None else None
    if merged is None or state is None or state.type not in ("promote", "release"):
        return None  # nothing the tool promotes further, as `promote` decides
    if (state.group, state.app, state.env, state.tag) != (*gap.key, gap.env, gap.tag):
        return None
    return merged, state


def _heal(ctx: Context, gap: Gap, heads: dict[str, PullRequest], prs: list[PullRequest]) -> Action | None:
    name = f"{gap.key[0]}/{gap.key[1]}"
    # The next hop is always a `promote` of this app into next_env, so its branch is known before the forge is
    # asked which PR made the gap: an app whose branch carries an open PR costs no look-up (50 apps in flight).
    branch = head_branch(ctx, PromotionState(*gap.key, tag=gap.tag, env=gap.next_env))
    if branch in heads:
        return None  # the app's branch carries another promotion (per-app: one branch, one PR per app)
    source = None if _covered(gap, prs) is not None else _source(ctx, gap)
    if source is None:
        return None
    merged, state = source
    next_state = state.with_env(gap.next_env, sha=merged.merge_commit or gap.change.commit.sha)
    decision = evaluate(ctx.config, next_state, previous_tag=lambda: gap.tag)
    try:
        ensure_allowed(decision.allowed, decision.explain(), next_state)
    except PromotionError as exc:
        return Action(name, "blocked", f"{name}: not promoted to {gap.next_env}: {exc.message}", env=gap.next_env)
    if ctx.dry_run:
        line = f"{name}: would open pull request on {branch}: {next_state.title} (lost after #{merged.number})"
        return Action(name, "would-open", line, env=gap.next_env)
    return _open(ctx, gap, next_state, branch, merged)


def _open(ctx: Context, gap: Gap, state: PromotionState, branch: str, merged: PullRequest) -> Action:
    """Open the catch-up PR unless another run is promoting on ``branch``; yield to it if so."""
    from gitops_promotion.commands import branch_guard

    name = f"{gap.key[0]}/{gap.key[1]}"
    head = branch_guard.remote_sha(ctx, branch)  # read last: a run that pushed since the listing shows here
    if head is not None and not _merged_leftover(ctx, head, ctx.location(gap.next_env, gap.key[0]).branch):
        line = f"{name}: left to another run: {branch} carries a promotion in flight ({head[:12]})"
        return Action(name, "skipped", line, env=gap.next_env)
    try:
        result = open_promotion(ctx, state, expect_head=head, details=_details(merged))
    except PromotionError as exc:
        return Action(name, "failed", f"{name}: could not open the promotion to {gap.next_env}: {exc.message}")
    return _from_result(name, gap, result)


def _merged_leftover(ctx: Context, head: str, base: str) -> bool:
    """Whether ``head`` is a branch tip already merged into ``base`` (a branch the forge did not delete)."""
    repo = ctx.repo
    if repo.rev(head) is None:
        return False  # not even fetched: someone's new work
    return repo.git("merge-base", head, repo.remote_ref(base), check=False) == head


def _from_result(name: str, gap: Gap, result: Result) -> Action:
    if result.outcome in ("opened", "updated", "merged"):
        line = f"{name}: caught up {gap.tag} to {gap.next_env}: " + "; ".join((*result.lines[:1], result.message))
        return Action(name, result.outcome, line, pr_number=result.pr_number, env=gap.next_env)
    return Action(name, "skipped", f"{name}: {result.message}", env=gap.next_env)


def _details(merged: PullRequest) -> str:
    return f"Opened by `reconcile`: the promotion after pull request {merged.number} had not happened."


def _state(pr: PullRequest) -> PromotionState | None:
    try:
        return parse_state(pr.body)
    except StateError:
        return None
