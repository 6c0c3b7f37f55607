"""`--dry-run` (and GITOPS_PROMOTION_DRY_RUN=true) on every command that pushes, opens, merges, comments or posts a
status, against both fake forges: each prints what it would do, and no ref, PR, status or local branch changes
(issue 14, item 2)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.forge.fixtures import git
from tests.reliability import forges
from tests.reliability.cli_runner import CliRunner
from tests.reliability.conftest import FORGES, ForgeFactory

APP = "app000"
CONFIG = forges.CONFIG + ("groups:\n  apps:\n    applications:\n      app000:\n        featureOverwrite: true\n")
OLD_FEATURE = {  # a feature copy whose last commit is old enough for `feature-stale --max-age 1s`
    "apps/dev/app000-old/kustomization.yaml": (
        "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n"
        "commonLabels:\n  gitops-promotion.xenit.io/feature: old\nresources: []\n"
    ),
}


def _snapshot(forge: forges.Forge, work: Path) -> dict[str, Any]:
    """Everything a dry run must leave alone: remote refs, PRs with their auto-merge, statuses, local branches."""
    fake = forge.fake
    if forge.name == "github":
        with fake.state.lock:
            prs = [(p.number, p.state, p.merged, p.title, p.body, p.head_sha, p.auto_merge) for p in fake.prs]
            statuses = [(s.sha, s.context, s.state, s.description) for s in fake.state.statuses]
    else:
        with fake.lock:
            prs = [
                (p.id, p.status, p.title, p.description, p.auto_complete_set_by is not None, len(p.statuses))
                for p in fake.prs.values()
            ]
            statuses = sorted((sha, len(items)) for sha, items in fake.state.commit_statuses.items())
    return {
        "remote": git(forge.bare, "for-each-ref", "--format=%(refname) %(objectname)"),
        "prs": prs,
        "statuses": statuses,
        "local": git(work, "for-each-ref", "--format=%(refname) %(objectname)", "refs/heads/"),
        "head": git(work, "rev-parse", "HEAD"),
        "tree": git(work, "status", "--porcelain"),
    }


def _flux_success(forge: forges.Forge, sha: str) -> None:
    if forge.name == "github":
        forge.fake.post_status(sha, "kustomization/apps-dev", "success", description="reconciled")
    else:
        forge.fake.post_status(sha, "succeeded", "kustomization/apps-dev", "fluxcd", "reconciled")


def _prepare(forge: forges.Forge, work: Path, cli: CliRunner) -> str:
    """Real runs first: a merged promotion into dev (so promote, status and rollback have work), an open PR
    into qa, Flux's verdict on dev, and a stale feature copy. Returns the qa PR's head branch."""
    for name, text in {"gitops-promotion.yaml": CONFIG, **OLD_FEATURE}.items():
        (work / name).parent.mkdir(parents=True, exist_ok=True)
        (work / name).write_text(text)
    git(work, "add", "-A")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("GIT_COMMITTER_DATE", "2020-01-01T00:00:00")
        git(work, "commit", "-q", "-m", "config and an old feature copy")
    git(work, "push", "-q", "origin", "HEAD:main")
    run = cli.run(["new", "--group", "apps", "--app", APP, "--tag", "2.0.0", "--sourcedir", str(work), *forge.argv()])
    assert run.code == 0, run.err
    (dev_pr,) = [pr for pr in forge.prs() if pr.state == "open"]
    merge = forge.merge(dev_pr.number)
    git(work, "fetch", "-q", "origin")
    git(work, "checkout", "-q", "-B", "main", "origin/main")
    assert git(work, "rev-parse", "HEAD") == merge
    run = cli.run(["promote", "--sourcedir", str(work), *forge.argv()])
    assert run.code == 0, run.err
    _flux_success(forge, merge)
    (qa_pr,) = [pr for pr in forge.prs() if pr.state == "open"]
    return qa_pr.head


@pytest.mark.parametrize("kind", FORGES)
def test_every_writing_command_changes_nothing_in_dry_run(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forge = make_forge(kind, [APP])
    work = forges.checkout(forge, tmp_path / "work")
    qa_head = _prepare(forge, work, cli)
    before = _snapshot(forge, work)
    app = ("--group", "apps", "--app", APP)
    commands: list[tuple[tuple[str, ...], str]] = [
        (("new", *app, "--tag", "3.0.0", "--dry-run"), "would push promote/apps-app000 (replacing"),
        # A rerun of promote: the qa PR's branch already holds the change, so not even a push is planned.
        (("promote", "--dry-run"), "already holds this change on main"),
        (("release", *app, "--tag", "3.0.0", "--env", "prod", "--reason", "hotfix", "--dry-run"), "would push"),
        (("rollback", *app, "--env", "dev", "--reason", "broken", "--dry-run"), "would open a pull request"),
        (("feature", *app, "--tag", "2.1.0", "--feature", "login", "--dry-run"), "would push feature/"),
        (("feature-stale", "--max-age", "1s", "--dry-run"), "would remove apps/dev/app000-old"),
        (("status", "--branch", qa_head, "--dry-run"), "would post the gate status 'success'"),
    ]
    for argv, expected in commands:
        run = cli.run([*argv, "--sourcedir", str(work), *forge.argv()])
        out = run.out + run.err
        assert run.code == 0, f"{argv}: {out}"
        assert expected in out, f"{argv}: {out}"
        if argv[0] != "status":
            assert "dry run: nothing pushed, opened or posted" in out, f"{argv}: {out}"
            assert "diff --git" in out or argv[0] == "promote", f"{argv} shows no diff: {out}"
        assert _snapshot(forge, work) == before, f"{argv} changed something"
    # The Action's `dry-run: true` arrives as an environment variable (the reported case: release).
    monkeypatch.setenv("GITOPS_PROMOTION_DRY_RUN", "true")
    run = cli.run(
        ["release", *app, "--tag", "3.0.1", "--env", "qa", "--reason", "x", "--sourcedir", str(work), *forge.argv()]
    )
    assert run.code == 0, run.err
    assert "dry run: nothing pushed" in run.out
    assert _snapshot(forge, work) == before
