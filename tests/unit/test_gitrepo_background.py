"""The git work GitRepo saves or overlaps (issue 17): HEAD read at open, the commit's sha from its summary, the
`git status` started early, the checkout back in the background, and the branches a run fetched."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.ci.identity import Identity
from gitops_promotion.errors import GitError
from gitops_promotion.gitrepo import GitRepo
from tests.conftest import git
from tests.unit.test_gitrepo import clone_of_trunk, trunk_without_origin_head


def test_head_read_at_open_is_dropped_when_head_may_move(example_repo: tuple[Path, Path]) -> None:
    _remote, work = example_repo
    repo = GitRepo(work)
    first = git(work, "rev-parse", "HEAD")
    assert repo.head_sha() == first
    git(work, "commit", "--quiet", "--allow-empty", "-m", "moved by someone else")
    repo.git("symbolic-ref", "--quiet", "HEAD")  # a read keeps what was read at open
    assert repo.head_sha() == first
    repo.git("checkout", "--quiet", "--detach", "HEAD")  # a command that may move HEAD drops it
    assert repo.head_sha() == git(work, "rev-parse", "HEAD") != first
    target = work / "apps/dev/podinfo.yaml"
    target.write_text(target.read_text() + "# change\n")
    sha = repo.commit("change", [target], Identity("bot", "bot@example.invalid"), tracked=True)
    assert sha == repo.head_sha() == git(work, "rev-parse", "HEAD")


def test_unborn_head_opens_and_fails_only_when_asked(tmp_path: Path) -> None:
    git(tmp_path, "init", "--quiet", "fresh")
    repo = GitRepo(tmp_path / "fresh")
    assert repo.root == (tmp_path / "fresh").resolve()
    with pytest.raises(GitError, match="rev-parse"):
        repo.head_sha()


def test_commit_sha_is_the_full_one_from_a_detached_head(example_repo: tuple[Path, Path]) -> None:
    _remote, work = example_repo
    repo = GitRepo(work)
    repo.checkout_detached("HEAD")
    target = work / "apps/dev/podinfo.yaml"
    target.write_text(target.read_text() + "# detached\n")
    sha = repo.commit("[x] subject] with brackets", [target], Identity(), tracked=True)
    assert sha == git(work, "rev-parse", "HEAD")
    assert len(sha) == 40


def test_early_status_still_refuses_a_dirty_checkout(example_repo: tuple[Path, Path]) -> None:
    _remote, work = example_repo
    (work / "gitops-promotion.yaml").write_text("changed: true\n")
    repo = GitRepo(work)
    repo.start_status()
    repo.start_status()  # the one started is kept, not a second one
    with pytest.raises(GitError, match="uncommitted changes"), repo.restore_head():
        repo.checkout_reset("promote/x", "HEAD")
    assert git(work, "symbolic-ref", "--short", "HEAD") == "main"


def test_checkout_back_runs_in_the_background_and_is_waited_for(example_repo: tuple[Path, Path]) -> None:
    _remote, work = example_repo
    repo = GitRepo(work)
    repo.start_status()
    with repo.restore_head():
        repo.checkout_reset("promote/x", "HEAD")
        target = work / "apps/dev/podinfo.yaml"
        target.write_text(target.read_text() + "# change\n")
        built = repo.commit("change", [target], Identity(), tracked=True)
    # The next git command waits for the checkout back: it sees the branch the block started on.
    assert repo.current_branch() == "main"
    assert repo.head_sha() != built
    assert "# change" not in target.read_text()
    with repo.restore_head():
        repo.checkout_reset("promote/y", "HEAD")
    repo.settle()  # what a command calls before it returns: nothing is left running
    assert git(work, "symbolic-ref", "--short", "HEAD") == "main"
    assert not (work / ".git" / "index.lock").exists()


def test_fetched_branches_are_recorded(example_repo: tuple[Path, Path]) -> None:
    _remote, work = example_repo
    repo = GitRepo(work)
    assert repo.fetched == set()
    repo.fetch("main")
    assert repo.fetched == {"main"}
    with pytest.raises(GitError, match="does not exist"):
        repo.fetch("no-such-branch")
    assert repo.fetched == {"main"}


def test_remote_head_read_at_open_names_the_default_branch(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    clone = clone_of_trunk(example_repo, tmp_path)
    repo = GitRepo(clone)
    # Moved after the open: the answer was read with HEAD, in the same process, and is not asked again.
    git(clone, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/other")
    assert repo.default_branch() == "trunk"
    assert GitRepo(clone).default_branch() == "other"


def test_remote_head_missing_or_not_a_symref_is_asked_the_old_way(example_repo: tuple[Path, Path]) -> None:
    work = trunk_without_origin_head(example_repo)
    assert GitRepo(work).default_branch() == "trunk"  # no refs/remotes/origin/HEAD: ls-remote asks the remote
    git(work, "update-ref", "refs/remotes/origin/HEAD", git(work, "rev-parse", "origin/main"))  # a plain ref
    assert GitRepo(work).default_branch() == "trunk"
    git(work, "symbolic-ref", "refs/remotes/origin/HEAD", "refs/remotes/origin/gone")  # dangling symref
    assert GitRepo(work).default_branch() == "gone"  # what `git symbolic-ref` says, as before
