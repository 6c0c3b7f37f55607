"""show, history, release and rollback through the CLI against the fake Azure DevOps (requests validated
against the azure-devops SDK's models by the fake)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from tests.conftest import git
from tests.forge.azure_fake import AzureFake
from tests.forge.azure_fixtures import AZURE_REMOTE, AZURE_TOKEN

pytestmark = pytest.mark.e2e


@pytest.fixture
def azure(
    example_repo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> Iterator[tuple[AzureFake, Path]]:
    remote, work = example_repo
    with AzureFake(remote, token=AZURE_TOKEN) as fake:
        for key, value in {
            "BUILD_REPOSITORY_URI": AZURE_REMOTE,
            "AZURE_DEVOPS_EXT_PAT": AZURE_TOKEN,
            "AZURE_DEVOPS_CACHE_DIR": str(tmp_path / "azure-cache"),
            "BUILD_REQUESTEDFOR": "Ada Lovelace",
        }.items():
            monkeypatch.setenv(key, value)
        yield fake, work
    assert not fake.violations, "requests the real Azure DevOps would reject:\n" + "\n".join(fake.violations)


def _cli(capsys: pytest.CaptureFixture[str], fake: AzureFake, work: Path, *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main([*args, "--sourcedir", str(work), "--provider", "azdo", "--api-url", fake.base_url])
    out, err = capsys.readouterr()
    return code, out + err


def test_release_show_history_rollback_on_azure_devops(
    azure: tuple[AzureFake, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    fake, work = azure
    code, out = _cli(capsys, fake, work, "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    merge = fake.complete(1)
    git(work, "fetch", "--quiet", "origin")
    git(work, "checkout", "--quiet", "-B", "main", "origin/main")
    fake.post_status(merge, "error", "kustomization/apps-dev/0f0f0f0f", "fluxcd", "health check failed")
    code, out = _cli(capsys, fake, work, "promote")
    assert code == 0 and "pull request 2" in out, out

    code, out = _cli(
        capsys,
        fake,
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
    release_pr = fake.prs[3]
    assert release_pr.source == "refs/heads/release/prod/apps-podinfo"
    assert release_pr.auto_complete_set_by is None  # prod's policy does not say auto
    assert '"requester":"Ada Lovelace"' in release_pr.description

    code, out = _cli(capsys, fake, work, "show", "--output", "json")
    assert code == 0, out
    data = json.loads(out)
    podinfo = next(a for a in data["apps"] if a["app"] == "podinfo")
    assert [c["image"]["tag"] for c in podinfo["cells"]] == ["7.0.0", "6.4.0", "6.4.0"]
    assert podinfo["cells"][0]["arrived"]["pr"] == 1  # "Merged PR 1: ..." subject
    assert {p["number"]: (p["type"], p["gate"]) for p in data["pending"]} == {
        2: ("promote", "closed"),
        3: ("release", "n/a"),
    }

    code, out = _cli(capsys, fake, work, "history", "--group", "apps", "--app", "podinfo", "--env", "dev")
    assert code == 0, out
    assert out.splitlines()[1].split()[:4] == ["dev", "7.0.0", "6.4.0", "#1"]

    code, out = _cli(capsys, fake, work, "rollback", "--group", "apps", "--app", "podinfo", "--env", "dev")
    assert code == 0, out
    assert fake.prs[4].source == "refs/heads/rollback/dev/apps-podinfo"
    assert fake.prs[4].title == "Roll back apps/podinfo to version 6.4.0 in environment dev"
