"""What a promotion run pushes when it may not push: a rerun that finds its change already there (issue 14,
item 4), and a dry run that only describes the push and the forge calls (item 2)."""

from __future__ import annotations

from gitops_promotion.context import Context
from gitops_promotion.gitrepo import GitRepo
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState


def already_pushed(repo: GitRepo, remote_head: str | None, built: str | None, base_ref: str) -> str | None:
    """``remote_head`` when it holds exactly the commit just ``built``: same tree, one parent, the base's tip.

    Pushing an equal commit again would only move the branch, which restarts checks and can re-trigger reviews
    and auto-merge; a branch on an older base or with other content is pushed as usual.
    """
    if remote_head is None or built is None:
        return None
    # One git process: both trees, the base's tip, then every parent of the remote head (``^@``); nothing when
    # the remote head was not fetched (then it cannot be compared, and is pushed over as usual).
    refs = (f"{remote_head}^{{tree}}", f"{built}^{{tree}}", base_ref, f"{remote_head}^@")
    out = repo.git("rev-parse", *refs, check=False).split()
    if len(out) < 3:
        return None
    remote_tree, built_tree, base, *parents = out
    return remote_head if parents == [base] and remote_tree == built_tree else None


def dry_run_push(repo: GitRepo, branch: str, built: str | None, remote_head: str | None) -> list[str]:
    """The diff of the commit a real run would push, and the push itself, described."""
    if built is None:
        return []
    diff = repo.git("diff", f"{built}^", built).splitlines()
    where = f"replacing {remote_head[:12]}" if remote_head else "a new branch"
    return [*diff, f"would push {branch} ({where}, with a lease)"]


def dry_run_result(ctx: Context, state: PromotionState, branch: str, lines: list[str]) -> Result:
    """The dry run's answer: what would change, and that nothing did."""
    return Result(
        outcome="nothing-to-do",
        message=f"dry run: nothing pushed, opened or posted ({branch}: {state.title})",
        lines=tuple(lines),
        branch=branch,
        environment=state.env,
        data={"dry_run": True, "calls": ctx.planned_calls()},
    )
