"""The gate fails closed (issue 14): each test kills one hand-made mutation of a failure path, through the CLI
against both fake forges. The mutation each one kills is named in its docstring."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.state import parse_state
from tests.forge.fixtures import git
from tests.reliability import forges
from tests.reliability.cli_runner import CliRunner, Run
from tests.reliability.conftest import FORGES, ForgeFactory

APP = "app000"
HEAD = "promote/apps-app000"


class Flow:
    """A checkout driven through the CLI against one fake forge."""

    def __init__(self, forge: forges.Forge, work: Path, cli: CliRunner) -> None:
        self.forge, self.work, self.cli = forge, work, cli

    def run(self, *argv: str) -> Run:
        return self.cli.run([*argv, "--sourcedir", str(self.work), *self.forge.argv()])

    def ok(self, *argv: str) -> Run:
        run = self.run(*argv)
        assert run.code == 0, (argv, run.out, run.err)
        return run

    def open_pr(self) -> forges.PRView:
        (pr,) = [pr for pr in self.forge.prs() if pr.state == "open"]
        return pr

    def merge_and_sync(self, number: int) -> str:
        sha = self.forge.merge(number)
        git(self.work, "fetch", "-q", "origin")
        git(self.work, "checkout", "-q", "-B", "main", "origin/main")
        return sha

    def push_to_main(self, path: str, text: str) -> str:
        (self.work / path).write_text(text)
        git(self.work, "add", path)
        git(self.work, "commit", "-qm", f"edit {path} by hand")
        git(self.work, "push", "-q", "origin", "HEAD:main")
        return git(self.work, "rev-parse", "HEAD")

    def flux(self, sha: str, env: str) -> None:
        if self.forge.name == "github":
            self.forge.fake.post_status(sha, f"kustomization/apps-{env}", "success", description="reconciled")
        else:
            self.forge.fake.post_status(sha, "succeeded", f"kustomization/apps-{env}", "fluxcd", "reconciled")


@pytest.fixture(params=FORGES)
def flow(request: pytest.FixtureRequest, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> Flow:
    forge = make_forge(request.param, [APP])
    return Flow(forge, forges.checkout(forge, tmp_path / "work"), cli)


def _into_qa(flow: Flow) -> str:
    """new 2.0.0, merged into dev, promoted: an open PR into qa. Returns dev's merge commit."""
    flow.ok("new", "--group", "apps", "--app", APP, "--tag", "2.0.0")
    merge = flow.merge_and_sync(flow.open_pr().number)
    flow.ok("promote")
    return merge


def test_later_commit_deploying_another_tag_does_not_open_the_gate(flow: Flow) -> None:
    """Kills: status.py dropping ``or found.tag != state.tag`` in the later-commit fallback."""
    _into_qa(flow)
    # Flux skipped the merge commit, and the later commit it did reconcile runs another tag in dev.
    text = forges.MANIFEST.format(app=APP, tag=forges.OLD_TAG).replace(f"{APP}:1.0.0", f"{APP}:9.9.9")
    later = flow.push_to_main(forges.manifest_path("dev", APP), text)
    flow.flux(later, "dev")
    run = flow.run("status", "--branch", HEAD, "--timeout", "0s")
    assert run.code == 1, run.out + run.err
    assert "timed out" in run.err + run.out


def test_later_commit_with_the_same_tag_opens_the_gate(flow: Flow) -> None:
    """The counterpart: a later commit that still deploys the tag stands in for the skipped merge commit."""
    _into_qa(flow)
    later = flow.push_to_main("README.md", "docs\n")
    flow.flux(later, "dev")
    run = flow.ok("status", "--branch", HEAD, "--timeout", "0s")
    assert "successful reconciliation for apps-dev" in run.out


def test_hop_after_a_merged_release_is_a_gated_promotion(flow: Flow) -> None:
    """Kills: state.py dropping ``type="promote"`` in ``with_env`` (the next hop would pass as a release PR)."""
    flow.ok("release", "--group", "apps", "--app", APP, "--tag", "3.0.0", "--env", "dev", "--reason", "hotfix")
    flow.merge_and_sync(flow.open_pr().number)
    flow.ok("promote")
    state = parse_state(flow.open_pr().body)
    assert state is not None
    assert (state.type, state.env, state.tag) == ("promote", "qa", "3.0.0")
    run = flow.run("status", "--branch", flow.open_pr().head, "--timeout", "0s")
    assert run.code == 1, run.out + run.err  # no Flux status on dev yet: closed, not "a release PR"


def test_unreadable_metadata_on_a_tool_branch_fails_promote(flow: Flow) -> None:
    """Kills: promote.py skipping (exit 0) a merged PR from a tool branch whose metadata cannot be read."""
    git(flow.work, "checkout", "-q", "-b", HEAD)
    text = forges.MANIFEST.format(app=APP, tag=forges.OLD_TAG).replace(f"{APP}:1.0.0", f"{APP}:2.0.0")
    (flow.work / forges.manifest_path("dev", APP)).write_text(text)
    git(flow.work, "commit", "-qam", "edited by hand")
    git(flow.work, "push", "-q", "origin", HEAD)
    git(flow.work, "checkout", "-q", "main")
    body = '<!-- metadata = {"group":"apps","app":"app000","tag": -->'
    fake = flow.forge.fake
    if flow.forge.name == "github":
        with fake.state.lock:
            number = fake.state.create_pull(title="t", head=HEAD, base="main", body=body, user="gitops-bot").number
    else:
        with fake.lock:
            refs = {"sourceRefName": f"refs/heads/{HEAD}", "targetRefName": "refs/heads/main"}
            number = fake.state.create({**refs, "title": "t", "description": body}).id
    flow.merge_and_sync(number)
    run = flow.run("promote")
    assert run.code == 1, run.out + run.err
    assert f"pull request {number} ({HEAD}) has unreadable promotion metadata" in run.err
