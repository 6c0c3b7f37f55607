"""The whole flow through the real CLI against the on-disk local forge (the demo's forge)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from gitops_promotion.providers.local import LocalForge
from tests.conftest import git

BASE = ["--provider", "local"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


def sync(work: Path, branch: str = "main") -> str:
    git(work, "fetch", "--quiet", "origin")
    git(work, "checkout", "--quiet", "-B", branch, f"origin/{branch}")
    return git(work, "rev-parse", "HEAD")


def test_demo_command_runs_offline(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "demo", "--dir", str(tmp_path / "demo"))
    assert code == 0, err
    assert "created branch promote/apps-podinfo with pull request 1" in out
    assert "successful reconciliation for apps-dev" in out
    assert "successful reconciliation for apps-qa" in out
    assert "reached prod, the last environment" in out
    prod = (tmp_path / "demo/gitops/apps/prod/podinfo.yaml").read_text()
    assert "ghcr.io/stefanprodan/podinfo:6.5.0 #" in prod
    assert "sidecar:1.0" in prod  # another app's marker is untouched


def test_full_flow_with_gates(example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    remote, work = example_repo
    forge = LocalForge(remote)
    src = ["--sourcedir", str(work), *BASE]
    code, out, err = run(capsys, "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0", *src)
    assert code == 0, err
    assert "created branch promote/apps-podinfo with pull request 1" in out
    # Rerun: same tag, branch already holds it -> one PR, one commit.
    before = git(remote, "rev-parse", "promote/apps-podinfo")
    code, out, _ = run(capsys, "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0", *src)
    assert code == 0 and "pull request 1" in out
    assert git(remote, "rev-list", "--count", "main..promote/apps-podinfo") == "1"
    assert git(remote, "rev-parse", "promote/apps-podinfo") == before, "a rerun with nothing new must not push"
    assert len(forge.list_open_prs("promote/")) == 1
    # First env: no gate.
    code, out, _ = run(capsys, "status", "--branch", "promote/apps-podinfo", *src)
    assert code == 0 and "first environment" in out
    merge_dev = forge.merge(1)
    sync(work)
    # promote opens qa; its gate waits for apps-dev on the dev merge commit.
    code, out, err = run(capsys, "promote", *src)
    assert code == 0, err
    assert "to environment qa" in out
    code, out, _ = run(capsys, "status", "--branch", "promote/apps-podinfo", "--timeout", "0s", *src)
    assert code == 1 and "timed out" in out
    forge.post_status(merge_dev, f"kustomization/apps-dev/{merge_dev[:8]}", "failure")
    code, out, _ = run(capsys, "status", "--branch", "promote/apps-podinfo", *src)
    assert code == 1 and "reconciliation failed for apps-dev" in out
    forge.post_status(merge_dev, f"kustomization/apps-dev/{merge_dev[:8]}", "success")
    code, out, _ = run(capsys, "status", "--branch", "promote/apps-podinfo", "--output", "json", *src)
    assert code == 0
    data = json.loads(out)
    assert data["result"] == "gate-open" and data["environment"] == "qa"
    merge_qa = forge.merge(2)
    sync(work)
    forge.post_status(merge_qa, "kustomization/apps-qa", "success")
    code, out, _ = run(capsys, "promote", *src)
    assert code == 0 and "to environment prod" in out and "manual merge" in out
    assert forge.get_pr(3).auto_merge is False
    code, out, _ = run(capsys, "status", "--branch", "promote/apps-podinfo", *src)
    assert code == 0 and "successful reconciliation for apps-qa" in out
    forge.merge(3)
    sync(work)
    code, out, _ = run(capsys, "promote", *src)
    assert code == 0 and "last environment" in out
    for env in ("dev", "qa", "prod"):
        assert "podinfo:7.0.0 #" in git(work, "show", f"HEAD:apps/{env}/podinfo.yaml")


def test_nothing_to_do_and_direct_push(example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    remote, work = example_repo
    src = ["--sourcedir", str(work), *BASE]
    code, out, _ = run(capsys, "new", "--group", "apps", "--app", "podinfo", "--tag", "6.4.0", *src)
    assert code == 0 and "already runs 6.4.0" in out
    assert "promote/apps-podinfo" not in git(remote, "branch")
    code, out, _ = run(capsys, "promote", *src)
    assert code == 0 and "not made by merging a pull request" in out


def test_skipped_merge_commit_falls_back_to_later_commit(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    remote, work = example_repo
    forge = LocalForge(remote)
    src = ["--sourcedir", str(work), *BASE]
    assert run(capsys, "new", "--group", "apps", "--app", "podinfo", "--tag", "8.0", *src)[0] == 0
    forge.merge(1)
    sync(work)
    assert run(capsys, "promote", *src)[0] == 0
    # An unrelated commit lands on main; Flux reconciles only that one.
    (work / "README.md").write_text("docs\n")
    git(work, "add", "README.md")
    git(work, "commit", "--quiet", "-m", "docs")
    git(work, "push", "--quiet", "origin", "main")
    later = git(work, "rev-parse", "HEAD")
    forge.post_status(later, "kustomization/apps-dev/abcd1234", "success")
    code, out, _ = run(capsys, "status", "--branch", "promote/apps-podinfo", *src)
    assert code == 0, out
    assert "later than" in out and later[:12] in out


def test_per_app_new_tag_replaces_pending_later_env(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    remote, work = example_repo
    forge = LocalForge(remote)
    src = ["--sourcedir", str(work), *BASE]
    run(capsys, "new", "--group", "apps", "--app", "podinfo", "--tag", "1.1", *src)
    forge.merge(1)
    sync(work)
    run(capsys, "promote", *src)  # PR 2: 1.1 to qa
    code, out, _ = run(capsys, "new", "--group", "apps", "--app", "podinfo", "--tag", "1.2", *src)
    assert code == 0
    assert "replaced pending promotion of apps/podinfo 1.1 to qa" in out


def test_per_env_and_branch_layout(example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    remote, work = example_repo
    forge = LocalForge(remote)
    # prod lives on its own branch `prod` (mixed layout), at path apps/ there.
    git(work, "checkout", "--quiet", "-b", "prod")
    git(work, "rm", "--quiet", "-r", "apps/dev", "apps/qa")
    git(work, "mv", "apps/prod/podinfo.yaml", "apps/podinfo.yaml")
    git(work, "mv", "apps/prod/kustomization.yaml", "apps/kustomization.yaml")
    git(work, "commit", "--quiet", "-m", "prod branch")
    git(work, "push", "--quiet", "origin", "prod")
    git(work, "checkout", "--quiet", "main")
    config = (
        (work / "gitops-promotion.yaml")
        .read_text()
        .replace("  - name: prod\n    auto: false", "  - name: prod\n    auto: false\n    branch: prod")
    )
    (work / "gitops-promotion.yaml").write_text(config)
    git(work, "commit", "--quiet", "-am", "prod on its branch")
    git(work, "push", "--quiet", "origin", "main")
    src = ["--sourcedir", str(work), *BASE]
    code, out, err = run(capsys, "new", "--group", "apps", "--app", "podinfo", "--tag", "9.9", *src)
    assert code == 0, err
    assert "created branch promote/dev/apps-podinfo" in out
    forge.merge(1)
    sync(work)
    forge.post_status(git(work, "rev-parse", "HEAD"), "kustomization/apps-dev", "success")
    assert run(capsys, "promote", *src)[0] == 0
    forge.merge(2)
    merge_qa = sync(work)
    forge.post_status(merge_qa, "kustomization/apps-qa", "success")
    code, out, err = run(capsys, "promote", *src)
    assert code == 0, err
    assert "created branch promote/prod/apps-podinfo" in out
    assert forge.get_pr(3).base == "prod"
    code, out, _ = run(capsys, "status", "--branch", "promote/prod/apps-podinfo", *src)
    assert code == 0 and "successful reconciliation for apps-qa" in out
    forge.merge(3)
    assert "podinfo:9.9 #" in git(remote, "show", "prod:apps/podinfo.yaml")
    assert "apps/dev" not in git(remote, "ls-tree", "-r", "--name-only", "prod")
    # A push to prod is promoted nowhere: last env.
    sync(work, "prod")
    code, out, _ = run(capsys, "promote", "--branch", "prod", *src)
    assert code == 0 and "last environment" in out


def test_missing_env_branch_is_clear(example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    _remote, work = example_repo
    config = (
        (work / "gitops-promotion.yaml")
        .read_text()
        .replace("  - name: dev\n    auto: true", "  - name: dev\n    auto: true\n    branch: dev")
    )
    (work / "gitops-promotion.yaml").write_text(config)
    git(work, "commit", "--quiet", "-am", "dev on a branch")
    code, _, err = run(
        capsys, "new", "--group", "apps", "--app", "podinfo", "--tag", "1.0", "--sourcedir", str(work), *BASE
    )
    assert code == 1
    assert "branch 'dev' does not exist on remote 'origin'" in err


def test_demo_refuses_a_used_directory(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "demo", "--dir", str(tmp_path))[0] == 0
    code, _out, err = run(capsys, "demo", "--dir", str(tmp_path))
    assert code == 2 and "already holds a demo" in err


def test_demo_json_output(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo", "--dir", str(tmp_path), "--output", "json")
    assert code == 0
    data = json.loads(out)
    assert data["result"] == "done" and data["repo"] == str(tmp_path / "gitops")
