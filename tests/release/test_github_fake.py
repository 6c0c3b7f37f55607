"""show, history, release and rollback through the CLI against the fake GitHub (requests validated against
GitHub's OpenAPI description and GraphQL schema by the fake)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from tests.conftest import git
from tests.forge.fixtures import FakeFactory
from tests.forge.github_fake import FakeGitHub

pytestmark = pytest.mark.e2e


@pytest.fixture
def github(
    example_repo: tuple[Path, Path], github_fake_factory: FakeFactory, monkeypatch: pytest.MonkeyPatch
) -> tuple[FakeGitHub, Path]:
    remote, work = example_repo
    fake = github_fake_factory(remote)
    fake.protect("main", "promotion-gate")  # GitHub allows auto-merge only behind a required check
    for key, value in {
        "GITHUB_REPOSITORY": "acme/gitops",
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": fake.token,
        "GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL": "0",
        "GITHUB_ACTOR": "release-bot",
    }.items():
        monkeypatch.setenv(key, value)
    return fake, work


def _cli(capsys: pytest.CaptureFixture[str], work: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main([*args, "--sourcedir", str(work), "--provider", "github"])
    out, err = capsys.readouterr()
    return code, out + err


def test_release_show_history_rollback_on_github(
    github: tuple[FakeGitHub, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, work = github
    code, out = _cli(capsys, work, "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    fake.post_status(fake.head_sha(1), "promotion-gate", "success")
    merge = fake.pr(1).merge_commit_sha or fake.merge(1)
    git(work, "fetch", "--quiet", "origin")
    git(work, "checkout", "--quiet", "-B", "main", "origin/main")
    fake.post_status(merge, "kustomization/apps-dev/0f0f0f0f", "failure", "health check failed")
    code, out = _cli(capsys, work, "promote")
    assert code == 0 and "pull request 2" in out, out

    fake.clear_requests()
    code, out = _cli(
        capsys,
        work,
        "release",
        "--group",
        "apps",
        "--app",
        "podinfo",
        "--tag",
        "7.0.1",
        "--env",
        "prod",
        "--reason",
        "CVE fix",
    )
    assert code == 0, out
    assert not any("enablePullRequestAutoMerge" in line for line in fake.request_lines())  # prod: manual
    release_pr = fake.pr(3)
    assert release_pr.head == "release/prod/apps-podinfo" and release_pr.auto_merge is None
    assert '"type":"release"' in release_pr.body and '"requester":"release-bot"' in release_pr.body
    assert '"reason":"CVE fix"' in release_pr.body

    code, out = _cli(capsys, work, "show", "--output", "json")
    assert code == 0, out
    data = json.loads(out)
    podinfo = next(a for a in data["apps"] if a["app"] == "podinfo")
    assert [c["image"]["tag"] for c in podinfo["cells"]] == ["7.0.0", "6.4.0", "6.4.0"]
    assert podinfo["cells"][0]["arrived"]["pr"] == 1
    assert podinfo["cells"][1]["lag"]["state"] == "behind"
    assert {p["number"]: (p["type"], p["gate"]) for p in data["pending"]} == {
        2: ("promote", "closed"),
        3: ("release", "n/a"),
    }

    code, out = _cli(capsys, work, "history", "--group", "apps", "--app", "podinfo", "--env", "dev")
    assert code == 0, out
    newest = out.splitlines()[1].split()
    assert newest[:5] == ["dev", "7.0.0", "6.4.0", "#1", "gitops-bot"]  # who enabled auto-merge, per the API
    code, out = _cli(capsys, work, "history", "--group", "apps", "--app", "podinfo", "--env", "dev", "--offline")
    assert out.splitlines()[1].split()[4] == "GitHub"  # offline: the merge commit's author

    code, out = _cli(capsys, work, "rollback", "--group", "apps", "--app", "podinfo", "--env", "dev")
    assert code == 0, out
    rollback_pr = fake.pr(4)
    assert rollback_pr.head == "rollback/dev/apps-podinfo" and rollback_pr.auto_merge is None
    assert rollback_pr.title == "Roll back apps/podinfo to version 6.4.0 in environment dev"
