"""A feature deploy and its cleanup end to end through the CLI on the fake GitHub and the fake Azure DevOps."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from gitops_promotion.state import parse_state
from tests.conftest import git
from tests.feature.layouts import KUSTOMIZATION, make_repo
from tests.feature.tools import ensure_kustomize
from tests.forge.azure_fake import AzureFake
from tests.forge.azure_fixtures import AZURE_REMOTE, AZURE_TOKEN
from tests.forge.fixtures import FakeFactory

pytestmark = pytest.mark.e2e
GITHUB_GATE = "promotion-gate"
AZURE_GATE = ("gitops-promotion", "gate")


@dataclass
class Forge:
    """What the flow needs from a fake: run the CLI, pass the PR's gate (auto-merge then merges), read a PR."""

    work: Path
    capsys: pytest.CaptureFixture[str]
    argv: list[str]
    pass_gate: Callable[[int], None]
    pr: Callable[[int], tuple[str, str, bool]]  # (head branch, body, merged)

    def cli(self, *args: str) -> tuple[int, str]:
        self.capsys.readouterr()
        code = main([*args, "--sourcedir", str(self.work), *self.argv])
        out, err = self.capsys.readouterr()
        return code, out + err

    def sync(self) -> None:
        git(self.work, "fetch", "--quiet", "origin")
        git(self.work, "checkout", "--quiet", "-B", "main", "origin/main")


@pytest.fixture
def github(
    tmp_path: Path,
    github_fake_factory: FakeFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Forge:
    remote, work = make_repo(tmp_path)
    fake = github_fake_factory(remote)
    fake.protect("main", GITHUB_GATE)
    for key, value in {
        "GITHUB_REPOSITORY": "acme/gitops",
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": fake.token,
        "GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL": "0",
    }.items():
        monkeypatch.setenv(key, value)

    def read(number: int) -> tuple[str, str, bool]:
        pr = fake.pr(number)
        return pr.head, pr.body, pr.merged

    return Forge(
        work,
        capsys,
        ["--provider", "github"],
        lambda number: fake.post_status(fake.head_sha(number), GITHUB_GATE, "success"),
        read,
    )


@pytest.fixture
def azure(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> Iterator[Forge]:
    remote, work = make_repo(tmp_path)
    with AzureFake(remote, token=AZURE_TOKEN) as fake:
        fake.require_status(*AZURE_GATE)
        monkeypatch.setenv("BUILD_REPOSITORY_URI", AZURE_REMOTE)
        monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", AZURE_TOKEN)
        monkeypatch.setenv("AZURE_DEVOPS_CACHE_DIR", str(tmp_path / "azure-cache"))

        def gate(number: int) -> None:
            fake.post_pr_status(number, *AZURE_GATE, "succeeded")
            fake.auto_complete()

        def read(number: int) -> tuple[str, str, bool]:
            pr = fake.prs[number]
            return pr.source.removeprefix("refs/heads/"), pr.description, pr.status == "completed"

        yield Forge(work, capsys, ["--provider", "azdo", "--api-url", fake.base_url], gate, read)
    assert not fake.violations, "requests the real Azure DevOps would reject:\n" + "\n".join(fake.violations)


def feature_life(forge: Forge) -> None:
    ensure_kustomize()
    # 1. A feature copy of podinfo: its own PR, auto-merge on (dev is auto), merged once its gate passes.
    code, out = forge.cli("feature", "--group", "apps", "--app", "podinfo", "--tag", "pr-42", "--feature", "Login-Fix")
    assert code == 0, out
    assert "created branch feature/apps-podinfo-login-fix with pull request 1" in out and "auto-merge on" in out
    head, body, merged = forge.pr(1)
    state = parse_state(body)
    assert head == "feature/apps-podinfo-login-fix" and not merged
    assert state is not None and (state.type, state.feature, state.tag) == ("feature", "login-fix", "pr-42")
    forge.pass_gate(1)
    assert forge.pr(1)[2], "auto-merge should have merged the feature PR"
    forge.sync()
    assert "podinfo:pr-42" in (forge.work / "apps/dev/podinfo-login-fix/deployment-podinfo-login-fix.yaml").read_text()
    # 2. promote sees a tool PR of type feature: never promoted.
    code, out = forge.cli("promote")
    assert code == 0 and "pull request 1 is a feature pull request; it is not promoted further" in out
    # 3. An overwrite-mode feature for web opens its own PR on its own branch.
    code, out = forge.cli("feature", "--group", "apps", "--app", "web", "--tag", "2.0-rc1", "--feature", "try")
    assert code == 0 and "created branch feature/apps-web-try with pull request 2" in out
    # 4. Cleanup: young copies stay, then with max-age 0s the copy goes in one PR, recognised by promote.
    code, out = forge.cli("feature-stale")
    assert code == 0 and "nothing to do: 1 feature environment(s) in dev, each changed within 7d" in out
    code, out = forge.cli("feature-stale", "--max-age", "0s")
    assert code == 0, out
    assert "removed apps/dev/podinfo-login-fix (apps/podinfo, feature login-fix)" in out
    assert "created branch remove/stale-feature with pull request 3" in out
    head, body, _merged = forge.pr(3)
    state = parse_state(body)
    assert head == "remove/stale-feature" and state is not None and state.type == "stale"
    assert "| `apps/dev/podinfo-login-fix` | apps/podinfo | login-fix |" in body
    forge.pass_gate(3)
    assert forge.pr(3)[2]
    forge.sync()
    assert (forge.work / "apps/dev/kustomization.yaml").read_text() == KUSTOMIZATION
    assert not (forge.work / "apps/dev/podinfo-login-fix").exists()
    code, out = forge.cli("promote")
    assert code == 0 and "pull request 3 is a stale pull request; it is not promoted further" in out


def test_feature_life_on_github(github: Forge) -> None:
    feature_life(github)


def test_feature_life_on_azure_devops(azure: Forge) -> None:
    feature_life(azure)
