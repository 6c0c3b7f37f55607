"""`init` for GitLab CI and Gitea Actions: detected from the remote, the shipped templates written where each
CI system reads them, with the package version filled in."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from gitops_promotion.commands.init import init
from tests.conftest import git


def _repo(root: Path, remote: str) -> Path:
    for env in ("dev", "prod"):
        (root / "apps" / env).mkdir(parents=True)
        (root / "apps" / env / "web.yaml").write_text("kind: Deployment\n")
    git(root, "init", "-q", "-b", "main")
    git(root, "remote", "add", "origin", remote)
    return root


@pytest.mark.parametrize(
    ("remote", "written"),
    [
        ("git@gitlab.example.com:acme/platform/gitops.git", [".gitlab/ci/gitops-promotion.yml"]),
        (
            "https://codeberg.org/acme/gitops.git",
            [f".gitea/workflows/gitops-promotion-{c}.yml" for c in ("new", "promote", "reconcile", "status")],
        ),
    ],
)
def test_init_detects_the_forge_from_the_remote(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], remote: str, written: list[str]
) -> None:
    repo = _repo(tmp_path / "gitops", remote)
    code = main(["init", "--sourcedir", str(repo), "--default-branch", "main", "--output", "json"])
    assert code == 0
    files = json.loads(capsys.readouterr().out)["files"]
    assert sorted(f for f in files if f != "gitops-promotion.yaml") == sorted(written)


def test_init_gitlab_fills_in_the_version(tmp_path: Path) -> None:
    repo = _repo(tmp_path / "gitops", "https://gitlab.com/acme/gitops.git")
    result = init(repo, platform="gitlab", version="9.9.9")
    text = (repo / ".gitlab/ci/gitops-promotion.yml").read_text()
    assert "      default: 9.9.9\n" in text and "gitops-promotion-reconcile:" in text
    assert any("GITLAB_TOKEN" in line for line in result.lines)
