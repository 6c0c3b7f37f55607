"""Open or update the PR that puts one image into one environment: the step new, promote and release share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gitops_promotion.commands import branch_guard, notify
from gitops_promotion.context import Context
from gitops_promotion.errors import GitError, ManifestError, PolicyError, PromotionError, PullRequestExists
from gitops_promotion.providers.base import PullRequest
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState, StateError, parse_state

log = logging.getLogger(__name__)
PUSH_ATTEMPTS = 3


@dataclass(frozen=True)
class Opened:
    """What open_promotion did, for callers that add to the message."""

    result: Result
    replaced: PromotionState | None


def head_branch(ctx: Context, state: PromotionState) -> str:
    per_env = ctx.config.prflow == "per-env" or ctx.config.uses_env_branches
    return state.branch(per_env=per_env)


def open_promotion(
    ctx: Context,
    state: PromotionState,
    *,
    auto: bool | None = None,
    details: str = "",
    merged_pr: PullRequest | None = None,
    write: Callable[[], Sequence[Path]] | None = None,
    body: str | None = None,
    expect_head: str | Literal[False] | None = False,
) -> Result:
    """Reset the head branch from the env's branch, edit markers, commit, push with lease, open/update the PR.

    ``merged_pr`` is the PR that just merged (from `promote`): when it used the same head and base, no PR can be
    open for that pair, so the look-up is skipped (one API call fewer per hop; a race ends in PullRequestExists).
    ``write`` replaces the marker edits (feature copies, stale removal): called on the fresh branch, it
    changes the tree and returns the paths to commit (none: nothing to do). ``body`` replaces the PR body.
    ``expect_head`` (catch-up by `reconcile`): the head branch's remote commit the caller saw (None: absent);
    when the branch is anywhere else, another run is promoting this app and the catch-up yields to it.
    """
    provider = ctx.provider  # built first: it supplies git's credentials
    loc = ctx.location(state.env, state.group)
    branch = head_branch(ctx, state)
    repo = ctx.repo
    target = repo.root / loc.path
    sha: str | None = None
    overtook: list[str] = []
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        remote_head = _remote_sha(ctx, branch)
        if expect_head is not False and remote_head != expect_head:
            return _yielded(state, branch, remote_head)
        known_absent = remote_head is None or (
            merged_pr is not None and (merged_pr.head, merged_pr.base) == (branch, loc.branch)
        )
        _fetch_base(ctx, state, loc.branch, branch, None if known_absent else remote_head)
        with repo.restore_head():
            repo.checkout_reset(branch, repo.remote_ref(loc.branch))
            if not target.is_dir():
                msg = f"environment {state.env}: directory {loc.path}/ does not exist on branch {loc.branch}"
                raise ManifestError(msg, file=loc.path)
            done = _change(ctx, state, branch, target, write)
            if isinstance(done, Result):
                return done
            sha = done
            try:
                repo.push(branch, expect=remote_head)
            except GitError as exc:
                # Someone moved the branch or the base between our fetch and push: rebuild from fresh refs.
                log.warning("push of %s rejected (attempt %d/%d): %s", branch, attempt, PUSH_ATTEMPTS, exc)
                if attempt == PUSH_ATTEMPTS:
                    raise
                continue
        pr_body = state.body(details) if body is None else body
        try:
            pr, outcome, replaced = _write_pr(ctx, state, branch, loc.branch, body=pr_body, known_absent=known_absent)
        except PromotionError as exc:
            # Never leave a pushed branch without its PR, or an open PR whose branch deploys another tag.
            exc.message += (
                " ("
                + branch_guard.restore(
                    ctx, branch, pushed=sha or "", previous=remote_head, keep_previous=not known_absent
                )
                + ")"
            )
            raise
        overtaker = branch_guard.moved(ctx, branch, sha)
        if overtaker is None:
            break
        # Another run pushed this branch after us. If its PR text landed after ours, its branch and text agree:
        # it wins. If ours landed last, the PR describes our tag on its branch: push ours again on top.
        what = branch_guard.describe(ctx, branch, overtaker)
        if not branch_guard.same_text(provider.get_pr(pr.number).body, pr_body):
            return _superseded(state, branch, pr, what)
        overtook.append(what)
        log.warning("%s was pushed by another run meanwhile (attempt %d/%d)", branch, attempt, PUSH_ATTEMPTS)
        if attempt == PUSH_ATTEMPTS:
            msg = (
                f"{branch} kept being pushed by another run while this one opened its pull request; "
                f"another promotion of {state.group}/{state.app} is running, rerun when it is done"
            )
            raise GitError(msg)
    automated = ctx.config.automated(state.env, state.group, state.app) if auto is None else auto
    merged = provider.set_auto_merge(
        pr, enabled=automated, merge_method=ctx.config.merge_method, delete_branch=ctx.config.delete_branch
    )
    lines = _lines(state, branch, pr, overtook, replaced)
    mode = {
        "enabled": "auto-merge on",
        "merged": "merged at once",
        "disabled": "auto-merge off",
        "unchanged": "auto-merge on" if automated else "manual merge",
    }[merged]
    result = Result(
        outcome="merged" if merged == "merged" else outcome,  # type: ignore[arg-type] # literal by construction
        message=f"{outcome} pull request {pr.number}: {state.title} ({mode})",
        lines=tuple(lines),
        pr_number=pr.number,
        pr_url=pr.url,
        branch=branch,
        environment=state.env,
        summary_md=_summary(state, number=pr.number, url=pr.url, outcome=outcome, mode=mode),
        data={"commit": sha, "state": state.metadata(), "replaced": replaced.tag if replaced else None},
    )
    return notify.after_open(ctx, state, pr, outcome, result)


def _fetch_base(ctx: Context, state: PromotionState, base: str, branch: str, head: str | None) -> None:
    """Fetch the environment's branch (and the head branch); a missing environment branch names its setting."""
    try:
        branch_guard.fetch_for_restore(ctx, base, branch, head)
    except GitError as exc:
        if "does not exist on remote" not in exc.message:
            raise
        # Name the environment and the setting, not only git's ref: the fix is in the config or the remote.
        msg = f"environment {state.env} (branch: in {ctx.config_path.name}): {exc.message}"
        raise GitError(msg, file=str(ctx.config_path)) from None


def _write_pr(
    ctx: Context, state: PromotionState, branch: str, base: str, *, body: str, known_absent: bool
) -> tuple[PullRequest, str, PromotionState | None]:
    """Create the PR, or update the open one: (pr, "opened"/"updated", the state it carried before)."""
    provider = ctx.provider
    existing = None if known_absent else provider.find_open_pr(branch, base)
    if existing is None:
        try:
            return provider.create_pr(head=branch, base=base, title=state.title, body=body), "opened", None
        except PullRequestExists:
            existing = provider.find_open_pr(branch, base)
            if existing is None:
                raise
    replaced = _replaced(existing.body, state)
    return provider.update_pr(existing, title=state.title, body=body), "updated", replaced


def _lines(
    state: PromotionState, branch: str, pr: PullRequest, overtook: list[str], replaced: PromotionState | None
) -> list[str]:
    lines = [f"created branch {branch} with pull request {pr.number}", pr.url]
    lines[:0] = [
        f"replaced concurrent push to {branch} ({what}); pull request {pr.number} carries {state.tag}"
        for what in overtook
    ]
    if replaced is not None:
        lines.insert(
            0,
            f"replaced pending promotion of {replaced.group}/{replaced.app} {replaced.tag} "
            f"to {replaced.env} (pull request {pr.number} now carries {state.tag} to {state.env})",
        )
    return lines


def _yielded(state: PromotionState, branch: str, head: str | None) -> Result:
    where = f"moved to {head[:12]}" if head else "was deleted"
    return Result(
        outcome="skipped",
        message=f"left to another run: {branch} {where} meanwhile; {state.group}/{state.app} {state.tag} "
        f"to {state.env} is retried by the next reconcile if still missing",
        branch=branch,
        environment=state.env,
    )


def _superseded(state: PromotionState, branch: str, pr: PullRequest, what: str) -> Result:
    return Result(
        outcome="skipped",
        message=f"superseded: another run pushed {branch} after this one ({what}); pull request {pr.number} "
        f"carries that promotion instead of {state.tag}",
        pr_number=pr.number,
        pr_url=pr.url,
        branch=branch,
        environment=state.env,
    )


def _change(
    ctx: Context, state: PromotionState, branch: str, target: Path, write: Callable[[], Sequence[Path]] | None
) -> Result | str | None:
    """Edit the tree on the fresh branch and commit: the new sha, or the Result when nothing is pushed."""
    from gitops_promotion.manifests import apply_edits, plan_edits

    if write is not None:
        paths = list(write())
        if not paths:
            return _nothing_to_do(ctx, state, branch)
        return ctx.repo.commit(state.title, paths, ctx.identity)
    edits = plan_edits(
        [target],
        repo_root=ctx.repo.root,
        group=state.group,
        app=state.app,
        tag=state.tag,
        digest=state.digest or None,
    )
    if not edits:
        return _nothing_to_do(ctx, state, branch)
    if ctx.dry_run:
        return _dry_run(ctx, state, branch, edits)
    apply_edits(edits)
    return ctx.repo.commit(state.title, [e.path for e in edits], ctx.identity)


def _remote_sha(ctx: Context, branch: str) -> str | None:
    if not ctx.repo.has_remote():
        return ctx.repo.rev(f"refs/heads/{branch}")
    out = ctx.repo.git("ls-remote", "--heads", ctx.repo.remote, f"refs/heads/{branch}", auth=True)
    return out.split()[0] if out.strip() else None


def _replaced(body: str | None, state: PromotionState) -> PromotionState | None:
    try:
        old = parse_state(body)
    except StateError:
        return None
    if old is None or (old.tag, old.env) == (state.tag, state.env):
        return None
    return old


def _nothing_to_do(ctx: Context, state: PromotionState, branch: str) -> Result:
    return Result(
        outcome="nothing-to-do",
        message=f"nothing to do: {state.group}/{state.app} in {state.env} already runs {state.tag}",
        branch=branch,
        environment=state.env,
    )


def _dry_run(ctx: Context, state: PromotionState, branch: str, edits: list) -> Result:  # type: ignore[type-arg]
    import difflib

    diff: list[str] = []
    for edit in edits:
        rel = str(edit.path.relative_to(ctx.repo.root))
        diff += difflib.unified_diff(
            edit.before.decode("utf-8", "replace").splitlines(keepends=True),
            edit.after.decode("utf-8", "replace").splitlines(keepends=True),
            fromfile=f"a/{rel}",
            tofile=f"b/{rel}",
        )
    return Result(
        outcome="nothing-to-do",
        message=f"dry run: would push {branch} and open a pull request: {state.title}",
        lines=tuple(line.rstrip("\n") for line in diff),
        branch=branch,
        environment=state.env,
    )


def _summary(state: PromotionState, *, number: int, url: str, outcome: str, mode: str) -> str:
    return (
        f"### {state.title}\n\n| Group | App | Tag | Environment | Pull request |\n|---|---|---|---|---|\n"
        f"| {state.group} | {state.app} | `{state.tag}` | {state.env} | [#{number}]({url}) {outcome}, {mode} |\n"
    )


def ensure_allowed(decision_allowed: bool, explanation: str, state: PromotionState) -> None:
    if not decision_allowed:
        msg = f"policy blocks {state.group}/{state.app} {state.tag} into {state.env}: {explanation}"
        raise PolicyError(msg)
