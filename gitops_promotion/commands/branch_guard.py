"""Keep a pushed promotion branch and its PR in agreement when the PR step fails or another run races us.

The branch is pushed before the PR is written, so two things can leave them disagreeing (issue 8):
- the PR step fails (API down): the branch would be left pushed with no PR, or an open PR would describe the
  old tag while its branch deploys the new one. ``restore`` puts the branch back as it was.
- another run pushes the same branch between our push and our PR write, and its PR text lands before ours: the
  PR would describe our tag while the branch deploys theirs. ``moved`` tells the caller to push again on top.
"""

from __future__ import annotations

import logging

from gitops_promotion.context import Context
from gitops_promotion.errors import GitError

log = logging.getLogger(__name__)


def remote_sha(ctx: Context, branch: str) -> str | None:
    """The remote branch's commit (the local one when the checkout has no remote), None when absent."""
    return ctx.repo.remote_branch_sha(branch)


def fetch_for_restore(ctx: Context, base: str, branch: str, head: str | None) -> None:
    """Fetch ``base``, and ``branch`` too when it exists, so its current commit can be pushed back later."""
    if head is None or ctx.repo.rev(head) is not None:
        ctx.repo.fetch(base)
        return
    try:
        ctx.repo.fetch(base, branch)  # one round trip for both
    except GitError:
        ctx.repo.fetch(base)  # the branch vanished meanwhile; restoring it will say so


def restore(ctx: Context, branch: str, *, pushed: str, previous: str | None, keep_previous: bool) -> str:
    """Put ``branch`` back where it was before we pushed ``pushed``; a phrase saying what was done.

    The previous commit is put back when it is here (a merged branch's is, through the base); a branch that did
    not exist is deleted, and so is one whose old commit is missing when no open PR needs it (``keep_previous``
    false). The lease makes sure a newer push by someone else is never undone.
    """
    repo = ctx.repo
    if not repo.has_remote():
        return "no remote to restore"
    lease = f"--force-with-lease=refs/heads/{branch}:{pushed}"
    restore_to = previous if previous and repo.rev(previous) else None
    if previous and restore_to is None and keep_previous:
        return f"branch {branch} still holds the new commit ({previous[:12]} was not fetched); rerun to finish"
    target = f"{restore_to}:refs/heads/{branch}" if restore_to else f":refs/heads/{branch}"
    try:
        repo.git("push", "--quiet", "--porcelain", lease, repo.remote, target, auth=True)
    except GitError as exc:
        log.warning("could not restore %s: %s", branch, exc)
        return f"branch {branch} could not be put back; rerun to finish"
    return f"branch {branch} {'put back to ' + restore_to[:12] if restore_to else 'deleted'}, nothing changed"


def moved(ctx: Context, branch: str, pushed: str | None) -> str | None:
    """The branch's remote commit when it is no longer ``pushed`` (someone pushed after us), else None."""
    if pushed is None:
        return None
    now = remote_sha(ctx, branch)
    return now if now != pushed else None


def describe(ctx: Context, branch: str, sha: str) -> str:
    """The subject of ``sha`` (another run's commit on ``branch``), fetched if needed; its short sha otherwise."""
    repo = ctx.repo
    if repo.rev(sha) is None and repo.has_remote():
        repo.git("fetch", "--quiet", "--no-tags", repo.remote, f"refs/heads/{branch}", auth=True, check=False)
    subject = repo.git("log", "-1", "--format=%s", sha, check=False) if repo.rev(sha) else ""
    return subject or sha[:12]


def same_text(current: str, ours: str) -> bool:
    """Whether a PR body read back is the one we wrote (forges may normalise line ends and trailing space)."""
    return current.replace("\r\n", "\n").strip() == ours.replace("\r\n", "\n").strip()
