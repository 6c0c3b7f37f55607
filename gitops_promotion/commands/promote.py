"""`promote`: after a promotion PR merged, open the PR for the next environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitops_promotion.commands import notify
from gitops_promotion.commands.opening import ensure_allowed, open_promotion
from gitops_promotion.context import Context
from gitops_promotion.errors import PromotionError
from gitops_promotion.history.deployed import deployed_at
from gitops_promotion.policy import evaluate
from gitops_promotion.providers.base import PullRequest
from gitops_promotion.result import Result
from gitops_promotion.state import TOOL_PREFIXES, PromotionState, StateError, parse_state

if TYPE_CHECKING:
    from gitops_promotion.commands.read_ahead import ReadAhead


def pushed_branch(ctx: Context) -> str:
    """The branch the triggering push went to: CI variables, the checkout, else the default branch."""
    env = ctx.environ
    if env.get("GITHUB_EVENT_NAME") == "push" and env.get("GITHUB_REF", "").startswith("refs/heads/"):
        return env["GITHUB_REF"].removeprefix("refs/heads/")
    if env.get("BUILD_SOURCEBRANCH", "").startswith("refs/heads/"):
        return env["BUILD_SOURCEBRANCH"].removeprefix("refs/heads/")
    if env.get("CI_COMMIT_BRANCH"):  # GitLab CI: set on branch pipelines only (not for merge requests or tags)
        return env["CI_COMMIT_BRANCH"]
    return ctx.repo.current_branch() or ctx.default_branch


def promote(ctx: Context, *, sha: str | None = None, branch: str | None = None) -> Result:
    """Find the PR whose merge made ``sha`` (default: HEAD) and promote its image to the next environment, then
    catch up every other promotion that an earlier, lost run should have opened (issue 13)."""
    from gitops_promotion.commands.read_ahead import ReadAhead

    ahead = ReadAhead(ctx)  # the catch-up's read of every environment runs while the event works
    try:
        result, handled = _event(ctx, sha=sha, branch=branch)
    finally:
        ahead.wait()
    return _catch_up(ctx, result, handled, ahead)


def _catch_up(ctx: Context, result: Result, handled: tuple[str, str] | None, ahead: ReadAhead) -> Result:
    """Append the catch-up's lines to the event's result; a failing catch-up warns, never fails the event."""
    from dataclasses import replace
    from functools import cache

    from gitops_promotion.commands.catch_up import catch_up, open_prs

    # The event fetched its environment's branch moments ago: when that is every environment's branch (one
    # branch for all, the usual layout), the catch-up needs no fetch of its own. Each promotion it opens fetches
    # its base once more before building on it.
    try:
        actions = catch_up(
            ctx, ahead.inventory(), listed=cache(lambda: open_prs(ctx)), skip={handled} if handled else set()
        )
    except PromotionError as exc:
        return replace(result, lines=(*result.lines, f"warning: catch-up not done: {exc.message}"))
    if not actions:
        return result
    lines = tuple(f"catch-up: {a.line}" for a in actions)
    return replace(result, lines=(*result.lines, *lines))


def _event(ctx: Context, *, sha: str | None, branch: str | None) -> tuple[Result, tuple[str, str] | None]:
    """What the push event itself asks: (result, the group/app it promoted or None)."""
    provider = ctx.provider
    base = branch or pushed_branch(ctx)
    commit = sha or ctx.repo.head_sha()
    pr = provider.pr_for_commit(commit, base)
    if pr is None:
        return _skip(f"commit {commit[:12]} on {base} was not made by merging a pull request; nothing to promote"), None
    try:
        state = parse_state(pr.body)
    except StateError as exc:
        if pr.head.startswith(TOOL_PREFIXES):
            msg = f"pull request {pr.number} ({pr.head}) has unreadable promotion metadata: {exc}"
            raise PromotionError(msg) from None
        state = None
    if state is None:
        return _skip(f"pull request {pr.number} was not opened by gitops-promotion; nothing to promote"), None
    warnings = notify.send(ctx, "merged", state, pr) if state.type != "stale" else []
    return notify.attach(_next_hop(ctx, state, pr, commit), warnings), (state.group, state.app)


def _next_hop(ctx: Context, state: PromotionState, pr: PullRequest, commit: str) -> Result:
    """Open the PR that takes ``state`` (merged in ``pr`` as ``commit``) to the next environment."""
    if state.type in ("feature", "stale", "rollback"):
        return _skip(f"pull request {pr.number} is a {state.type} pull request; it is not promoted further")
    next_env = ctx.config.next_env(state.env)
    if next_env is None:
        return _skip(f"{state.group}/{state.app} {state.tag} reached {state.env}, the last environment")
    next_state = state.with_env(next_env.name, sha=pr.merge_commit or commit)
    prev_loc = ctx.location(state.env, state.group)

    def previous_tag() -> str | None:
        found = deployed_at(ctx.repo, commit, prev_loc.path, state.group, state.app)
        return found.tag if found else None

    decision = evaluate(ctx.config, next_state, previous_tag=previous_tag)
    ensure_allowed(decision.allowed, decision.explain(), next_state)
    return open_promotion(ctx, next_state, merged_pr=pr)


def _skip(message: str) -> Result:
    return Result(outcome="skipped", message=message)
