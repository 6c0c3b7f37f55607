"""branch_guard on real repositories: what restoring a pushed branch does in each case, and the lease that keeps
it from undoing someone else's newer push."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest

from gitops_promotion.commands import branch_guard
from gitops_promotion.context import Context
from gitops_promotion.gitrepo import GitRepo
from tests.forge.fixtures import clone, git, seed_bare_repo

BRANCH = "promote/apps-app000"


@pytest.fixture
def repos(tmp_path: Path) -> tuple[Path, Path, Context]:
    bare = seed_bare_repo(tmp_path, {"a.txt": "a\n"})
    work = clone(bare, tmp_path / "work")
    return bare, work, cast(Context, SimpleNamespace(repo=GitRepo(work)))


def commit_and_push(work: Path, text: str) -> str:
    git(work, "checkout", "-q", "-B", BRANCH, "origin/main")
    (work / "a.txt").write_text(text)
    git(work, "commit", "-qam", text)
    git(work, "push", "-qf", "origin", f"HEAD:refs/heads/{BRANCH}")
    git(work, "checkout", "-q", "main")
    return git(work, "rev-parse", BRANCH)


def remote_head(bare: Path) -> str | None:
    out = git(bare, "for-each-ref", "--format=%(objectname)", f"refs/heads/{BRANCH}")
    return out or None


def test_a_new_branch_is_deleted(repos: tuple[Path, Path, Context]) -> None:
    bare, work, ctx = repos
    pushed = commit_and_push(work, "new\n")
    said = branch_guard.restore(ctx, BRANCH, pushed=pushed, previous=None, keep_previous=False)
    assert said == f"branch {BRANCH} deleted, nothing changed"
    assert remote_head(bare) is None


def test_the_previous_commit_is_put_back(repos: tuple[Path, Path, Context]) -> None:
    bare, work, ctx = repos
    previous = commit_and_push(work, "old\n")
    pushed = commit_and_push(work, "new\n")
    said = branch_guard.restore(ctx, BRANCH, pushed=pushed, previous=previous, keep_previous=True)
    assert said == f"branch {BRANCH} put back to {previous[:12]}, nothing changed"
    assert remote_head(bare) == previous


def test_a_newer_push_by_someone_else_is_never_undone(repos: tuple[Path, Path, Context]) -> None:
    bare, work, ctx = repos
    pushed = commit_and_push(work, "ours\n")
    theirs = commit_and_push(work, "theirs\n")
    said = branch_guard.restore(ctx, BRANCH, pushed=pushed, previous=None, keep_previous=False)
    assert said == f"branch {BRANCH} could not be put back; rerun to finish"
    assert remote_head(bare) == theirs


def test_a_missing_previous_commit_is_not_replaced_by_a_deletion(repos: tuple[Path, Path, Context]) -> None:
    bare, work, ctx = repos
    pushed = commit_and_push(work, "new\n")
    missing = "0123456789abcdef0123456789abcdef01234567"
    said = branch_guard.restore(ctx, BRANCH, pushed=pushed, previous=missing, keep_previous=True)
    assert said.startswith(f"branch {BRANCH} still holds the new commit (0123456789ab was not fetched)")
    assert remote_head(bare) == pushed
    said = branch_guard.restore(ctx, BRANCH, pushed=pushed, previous=missing, keep_previous=False)
    assert said == f"branch {BRANCH} deleted, nothing changed"  # no open PR needs it


def test_moved_and_describe(repos: tuple[Path, Path, Context]) -> None:
    _bare, work, ctx = repos
    ours = commit_and_push(work, "ours\n")
    assert branch_guard.moved(ctx, BRANCH, ours) is None
    assert branch_guard.moved(ctx, BRANCH, None) is None
    git(work, "branch", "-qD", BRANCH)
    (work.parent / "elsewhere").mkdir()
    other = seed_bare_repo(work.parent / "elsewhere", {"a.txt": "x\n"})  # a commit this clone has never seen
    git(other, "push", "-qf", str(work.parent / "remote.git"), f"main:refs/heads/{BRANCH}")
    theirs = git(other, "rev-parse", "main")
    assert branch_guard.moved(ctx, BRANCH, ours) == theirs
    assert branch_guard.describe(ctx, BRANCH, theirs) == "initial layout"  # fetched to read its subject


@pytest.mark.parametrize(
    ("current", "ours", "same"),
    [
        ("body\n", "body\n", True),
        ("body\r\n", "body\n", True),
        ("body  \n\n", "body", True),
        ("other body\n", "body\n", False),
    ],
)
def test_same_text(current: str, ours: str, same: bool) -> None:
    assert branch_guard.same_text(current, ours) is same
