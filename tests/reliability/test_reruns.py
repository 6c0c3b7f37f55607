"""A rerun while its PR is open pushes nothing when the remote branch already holds exactly the change on the
current base, and says so (issue 14, item 4): a new push would restart checks and re-trigger reviews and
auto-merge. For new, promote, release and rollback, on both fake forges."""

from __future__ import annotations

from tests.forge.fixtures import git
from tests.reliability import forges
from tests.reliability.test_gate_closed import APP, Flow, flow

__all__ = ["flow"]  # the fixture, parametrised over both forges
APP_FLAGS = ("--group", "apps", "--app", APP)


def _twice(flow: Flow, *argv: str) -> None:
    first = flow.ok(*argv)
    branch = flow.open_pr().head
    pushed = git(flow.forge.bare, "rev-parse", f"refs/heads/{branch}")
    prs = len(flow.forge.prs())
    first_work, flow.work = flow.work, forges.checkout(flow.forge, flow.work.parent / f"fresh-{argv[0]}")
    again = flow.ok(*argv)  # from a fresh clone, as in CI: it has never seen the branch's commit
    flow.work = first_work
    assert f"{branch} already holds this change" in again.out, (first.out, again.out)
    assert "pushed nothing" in again.out
    assert git(flow.forge.bare, "rev-parse", f"refs/heads/{branch}") == pushed, f"{argv[0]} rerun moved {branch}"
    assert len(flow.forge.prs()) == prs
    assert len([pr for pr in flow.forge.prs() if pr.state == "open"]) == 1


def test_rerun_of_new_and_promote_pushes_nothing(flow: Flow) -> None:
    _twice(flow, "new", *APP_FLAGS, "--tag", "2.0.0")
    flow.merge_and_sync(flow.open_pr().number)
    _twice(flow, "promote")


def test_rerun_of_release_and_rollback_pushes_nothing(flow: Flow) -> None:
    _twice(flow, "release", *APP_FLAGS, "--tag", "3.0.0", "--env", "dev", "--reason", "hotfix")
    flow.merge_and_sync(flow.open_pr().number)
    _twice(flow, "rollback", *APP_FLAGS, "--env", "dev", "--reason", "bad")


def test_rerun_on_a_moved_base_pushes_again(flow: Flow) -> None:
    """The branch holds the change but on an older base: a rerun rebuilds it on the current one."""
    flow.ok("new", *APP_FLAGS, "--tag", "2.0.0")
    old = git(flow.forge.bare, "rev-parse", "refs/heads/promote/apps-app000")
    flow.push_to_main("README.md", "docs\n")
    again = flow.ok("new", *APP_FLAGS, "--tag", "2.0.0")
    assert "already holds" not in again.out
    assert git(flow.forge.bare, "rev-parse", "refs/heads/promote/apps-app000") != old


def test_a_new_tag_on_the_same_base_is_pushed(flow: Flow) -> None:
    """Same base, other content: the branch is not "already holding" the change, the new tag is pushed."""
    flow.ok("new", *APP_FLAGS, "--tag", "2.0.0")
    old = git(flow.forge.bare, "rev-parse", "refs/heads/promote/apps-app000")
    again = flow.ok("new", *APP_FLAGS, "--tag", "2.1.0")
    assert "already holds" not in again.out
    head = git(flow.forge.bare, "rev-parse", "refs/heads/promote/apps-app000")
    assert head != old
    assert "app000:2.1.0" in git(flow.forge.bare, "show", f"{head}:{forges.manifest_path('dev', APP)}")
