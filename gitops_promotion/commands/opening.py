"""Open or update the PR that puts one image into one environment: the step new, promote and release share."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from gitops_promotion.commands import branch_guard, env_branches, notify, rerun
from gitops_promotion.context import Context
from gitops_promotion.errors import GitError, ManifestError, PolicyError, PromotionError, PullRequestExists
from gitops_promotion.providers.base import PullRequest
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState, StateError, parse_state

if TYPE_CHECKING:
    from gitops_promotion.manifests.markers import ParsedFile

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
    # The `git status` restore_head asks runs while the provider is built and the remote is asked (issue 17);
    # whatever is still running in the background when this returns is waited for.
    ctx.repo.start_status()
    try:
        return _open(
            ctx, state, auto=auto, details=details, merged_pr=merged_pr, write=write, body=body, expect_head=expect_head
        )
    finally:
        ctx.repo.settle()


def _open(
    ctx: Context,
    state: PromotionState,
    *,
    auto: bool | None,
    details: str,
    merged_pr: PullRequest | None,
    write: Callable[[], Sequence[Path]] | None,
    body: str | None,
    expect_head: str | Literal[False] | None,
) -> Result:
    provider = ctx.provider  # built first: it supplies git's credentials
    loc = ctx.location(state.env, state.group)
    branch = head_branch(ctx, state)
    sha: str | None = None
    overtook: list[str] = []
    notes: list[str] = []  # rerun and dry-run notes, printed before the PR line
    for attempt in range(1, PUSH_ATTEMPTS + 1):
        notes.clear()
        ctx.repo.start_status()  # the one started above on the first attempt; a fresh one on a retry
        remote_head = env_branches.head_and_env_branches(ctx, branch)
        if expect_head is not False and remote_head != expect_head:
            return _yielded(state, branch, remote_head)
        known_absent = remote_head is None or (
            merged_pr is not None and (merged_pr.head, merged_pr.base) == (branch, loc.branch)
        )
        # The head branch comes along in the same fetch: a rerun compares with it, a failed PR write restores it.
        _fetch_base(ctx, state, loc.branch, branch, remote_head)
        with ctx.repo.restore_head():
            state, done = _build(ctx, state, branch, write)
            if isinstance(done, Result):
                return done
            try:
                sha, pushed = _push(ctx, branch, done, remote_head, base=loc.branch, notes=notes)
            except GitError as exc:
                # Someone moved the branch or the base between our fetch and push: rebuild from fresh refs.
                log.warning("push of %s rejected (attempt %d/%d): %s", branch, attempt, PUSH_ATTEMPTS, exc)
                if attempt == PUSH_ATTEMPTS:
                    raise
                continue
        pr_body = state.body(details) if body is None else body
        try:
            # Only our own push of a branch the merge left behind proves no PR is open; a branch that already held
            # the change (rerun) or a dry run looks the PR up.
            absent = remote_head is None or (known_absent and pushed)
            pr, outcome, replaced = _write_pr(ctx, state, branch, loc.branch, body=pr_body, known_absent=absent)
        except PromotionError as exc:
            # Never leave a pushed branch without its PR, or an open PR whose branch deploys another tag.
            if pushed:
                exc.message += (
                    " ("
                    + branch_guard.restore(
                        ctx, branch, pushed=sha or "", previous=remote_head, keep_previous=not known_absent
                    )
                    + ")"
                )
            raise
        if ctx.dry_run:
            break
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
    return _opened(
        ctx,
        state,
        pr,
        outcome=outcome,
        auto=auto,
        notes=[
            *(
                f"replaced concurrent push to {branch} ({what}); pull request {pr.number} carries {state.tag}"
                for what in overtook
            ),
            *notes,
        ],
        replaced=replaced,
        sha=sha,
    )


def _opened(
    ctx: Context,
    state: PromotionState,
    pr: PullRequest,
    *,
    outcome: str,
    auto: bool | None,
    notes: list[str],
    replaced: PromotionState | None,
    sha: str | None,
) -> Result:
    """Set auto-merge on the PR just written and say what happened (a dry run lists what would have)."""
    branch = pr.head
    automated = ctx.config.automated(state.env, state.group, state.app) if auto is None else auto
    merged = ctx.provider.set_auto_merge(
        pr, enabled=automated, merge_method=ctx.config.merge_method, delete_branch=ctx.config.delete_branch
    )
    if ctx.dry_run:
        return rerun.dry_run_result(ctx, state, branch, [*notes, *ctx.planned_calls()])
    lines = [*notes, *_lines(state, branch, pr, replaced)]  # overtaken pushes are among the notes
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


def _build(
    ctx: Context, state: PromotionState, branch: str, write: Callable[[], Sequence[Path]] | None
) -> tuple[PromotionState, Result | str | None]:
    """Check out the env's branch tip, pin the image, commit the change: (the pinned state, the commit or the
    Result when there is none).

    A dry run commits on a detached HEAD, so it leaves no branch behind in the checkout. The image is pinned
    (a `:digest` marker's digest resolved) before any file is written.
    """
    repo = ctx.repo
    loc = ctx.location(state.env, state.group)
    if ctx.dry_run:
        repo.checkout_detached(repo.remote_ref(loc.branch))
    else:
        repo.checkout_reset(branch, repo.remote_ref(loc.branch))
    target = repo.root / loc.path
    if not target.is_dir():
        raise _missing_directory(ctx, state, loc.path, loc.branch)
    files = None
    if write is None:
        from gitops_promotion.commands.pinning import pin_state
        from gitops_promotion.manifests.edit import load_app_files

        # The tree is read once, here: pinning and the edits use the same parsed files (issue 17).
        files = load_app_files([target], repo_root=repo.root, group=state.group, app=state.app)
        state = pin_state(ctx, state, target, files=files)
    return state, _change(ctx, state, branch, target, write, files=files)


def _push(
    ctx: Context, branch: str, built: str | None, remote_head: str | None, *, base: str, notes: list[str]
) -> tuple[str | None, bool]:
    """Push ``built`` unless the branch already holds it or this is a dry run: (the branch's commit, pushed)."""
    repo = ctx.repo
    held = rerun.already_pushed(repo, remote_head, built, repo.remote_ref(base))
    if held is not None:
        notes.append(f"{branch} already holds this change on {base} ({held[:12]}); pushed nothing")
        return held, False
    if ctx.dry_run:
        notes.extend(rerun.dry_run_push(repo, branch, built, remote_head))
        return built, False
    repo.push(branch, expect=remote_head)
    return built, True


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


def _lines(state: PromotionState, branch: str, pr: PullRequest, replaced: PromotionState | None) -> list[str]:
    """The PR line pipelines grep, preceded by the pending promotion it replaced (if any)."""
    lines = [f"created branch {branch} with pull request {pr.number}", pr.url]
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
    ctx: Context,
    state: PromotionState,
    branch: str,
    target: Path,
    write: Callable[[], Sequence[Path]] | None,
    *,
    files: Sequence[ParsedFile] | None,
) -> Result | str | None:
    """Edit the tree on the fresh branch and commit: the new sha, or the Result when nothing is pushed.

    ``files``: the candidates under ``target`` already loaded for this app (None: read them here)."""
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
        files=files,
    )
    if not edits:
        return _nothing_to_do(ctx, state, branch)
    apply_edits(edits)
    return ctx.repo.commit(state.title, [e.path for e in edits], ctx.identity, tracked=True)


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


def _summary(state: PromotionState, *, number: int, url: str, outcome: str, mode: str) -> str:
    return (
        f"### {state.title}\n\n| Group | App | Tag | Environment | Pull request |\n|---|---|---|---|---|\n"
        f"| {state.group} | {state.app} | `{state.tag}` | {state.env} | [#{number}]({url}) {outcome}, {mode} |\n"
    )


def ensure_allowed(decision_allowed: bool, explanation: str, state: PromotionState) -> None:
    if not decision_allowed:
        msg = f"policy blocks {state.group}/{state.app} {state.tag} into {state.env}: {explanation}"
        raise PolicyError(msg)


def _missing_directory(ctx: Context, state: PromotionState, path: str, branch: str) -> ManifestError:
    """The env has no directory for the group: name it and list the groups that do have one (a typo is likely)."""
    root = ctx.repo.root
    known = [
        entry.name
        for entry in sorted(root.iterdir())
        if entry.is_dir()
        and not entry.name.startswith(".")
        and (root / ctx.location(state.env, entry.name).path).is_dir()
        and ctx.location(state.env, entry.name).path != path
    ]
    listing = f"groups with one: {', '.join(known)}" if known else "no group has one"
    msg = (
        f"environment {state.env}: directory {path}/ does not exist on branch {branch} (--group {state.group}); "
        f"{listing}"
    )
    return ManifestError(msg, file=path)
