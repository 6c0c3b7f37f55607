"""`init` on generated GitOps repositories and `doctor` passing and failing, through the CLI and directly."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from gitops_promotion import __version__, home
from gitops_promotion.cli import main
from gitops_promotion.commands.doctor import doctor
from gitops_promotion.commands.init import ACTION_PLACEHOLDER, TARGETS, infer_layout, init, order_envs
from gitops_promotion.config import load_config
from gitops_promotion.errors import ProviderError, UsageError
from gitops_promotion.gitrepo import GitRepo
from gitops_promotion.providers.base import Check
from tests.conftest import git
from tests.forge.azure_fake import AzureFake
from tests.forge.azure_fixtures import Seeded, azure_forge, azure_provider, azure_provider_factory, azure_repo
from tests.forge.fixtures import FakeFactory, clone, github_fake_factory, github_schemas, seed_bare_repo

# fixtures, imported so pytest finds them here
__all__ = [
    "azure_forge",
    "azure_provider",
    "azure_provider_factory",
    "azure_repo",
    "github_fake_factory",
    "github_schemas",
]

PIN = "acme/gitops-promotion@" + "a" * 40
MARKED = 'image: registry.test/{group}/{app}:1.0.0 # {{"$imagepolicy": "{group}:{app}"}}\n'


def make_layout(root: Path, groups: dict[str, dict[str, list[str]]]) -> Path:
    """groups -> env -> apps, each app a marked manifest at <group>/<env>/<app>.yaml."""
    for group, envs in groups.items():
        for env, apps in envs.items():
            folder = root / group / env
            folder.mkdir(parents=True, exist_ok=True)
            for app in apps:
                (folder / f"{app}.yaml").write_text(MARKED.format(group=group, app=app))
    return root


# -- layout inference ----------------------------------------------------------------------------------------
def test_infer_groups_and_envs_in_promotion_order(tmp_path: Path) -> None:
    make_layout(
        tmp_path,
        {
            "apps": {"prod": ["web"], "dev": ["web"], "qa": ["web"], "base": []},
            "platform": {"dev": ["ingress"], "qa": ["ingress"], "prod": ["ingress"]},
        },
    )
    for ignored in ("docs/guide", ".github/workflows", "scripts/ci"):
        (tmp_path / ignored).mkdir(parents=True)
    layout = infer_layout(tmp_path)
    assert layout.groups == ("apps", "platform")
    assert layout.envs == ("dev", "qa", "prod")  # "base" is under one group only: not an environment


def test_unknown_env_names_shared_by_groups_sort_after_known_ones() -> None:
    assert order_envs({"zeta", "prod", "alpha", "dev"}) == ("dev", "prod", "alpha", "zeta")


def test_a_single_group_makes_all_its_subdirectories_envs(tmp_path: Path) -> None:
    make_layout(tmp_path, {"apps": {"blue": ["a"], "green": ["a"]}})
    assert infer_layout(tmp_path).envs == ("blue", "green")


# -- init ----------------------------------------------------------------------------------------------------
def test_init_writes_a_valid_config_and_the_workflows(tmp_path: Path) -> None:
    make_layout(tmp_path, {"apps": {"dev": ["web"], "staging": ["web"], "production": ["web"]}})
    result = init(tmp_path, action_ref=PIN, default_branch="trunk")
    config = load_config(tmp_path / "gitops-promotion.yaml")
    assert config.env_names == ["dev", "staging", "production"]
    assert [e.auto for e in config.environments] == [True, True, False]
    for destination in TARGETS["github"].values():
        text = (tmp_path / destination).read_text()
        assert ACTION_PLACEHOLDER not in text
    promote = (tmp_path / ".github/workflows/gitops-promotion-promote.yml").read_text()
    assert "branches: [trunk]" in promote and f"uses: {PIN}\n" in promote
    assert result.exit_code == 0 and "wrote .github/workflows/gitops-promotion-status.yml" in result.lines


def test_init_keeps_what_exists_and_writes_what_is_missing(tmp_path: Path) -> None:
    make_layout(tmp_path, {"apps": {"dev": ["web"], "prod": ["web"]}})
    workflow = tmp_path / ".github/workflows/gitops-promotion-new.yml"
    workflow.parent.mkdir(parents=True)
    workflow.write_text("mine\n")
    result = init(tmp_path)
    assert workflow.read_text() == "mine\n"
    assert "kept .github/workflows/gitops-promotion-new.yml (already there and different; --force rewrites it)" in (
        result.lines
    )
    assert "wrote .github/workflows/gitops-promotion-status.yml" in result.lines
    assert (tmp_path / "gitops-promotion.yaml").exists()
    result = init(tmp_path, force=True)
    assert "overwrote .github/workflows/gitops-promotion-new.yml" in result.lines
    assert workflow.read_text() != "mine\n"
    again = init(tmp_path, force=True)
    assert again.outcome == "nothing-to-do" and not any(line.startswith("overwrote") for line in again.lines)


def test_init_for_azure_and_explicit_envs(tmp_path: Path) -> None:
    init(tmp_path, platform="azure", envs=("dev", "prod"), version="9.9.9")
    assert load_config(tmp_path / "gitops-promotion.yaml").env_names == ["dev", "prod"]
    steps = (tmp_path / "azure-pipelines/templates/gitops-promotion.yml").read_text()
    assert 'default: "9.9.9"' in steps
    assert (tmp_path / "azure-pipelines/gitops-promotion-status.yml").exists()
    assert not (tmp_path / ".github").exists()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({}, "found no <group>/<env>/ directories"),
        ({"envs": ("Dev",)}, "--env 'Dev' must be a DNS label"),
        ({"envs": ("dev",), "action_ref": "gitops-promotion@v1"}, "must be OWNER/REPO@<commit SHA or tag>"),
        ({"envs": ("dev",), "action_ref": "acme/gitops-promotion"}, "must be OWNER/REPO@<commit SHA or tag>"),
    ],
)
def test_init_refuses_bad_input(tmp_path: Path, kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(UsageError, match=message):
        init(tmp_path, **kwargs)  # type: ignore[arg-type]


def test_init_cli_detects_azure_from_the_remote(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    repo = make_layout(tmp_path / "gitops", {"apps": {"dev": ["web"], "prod": ["web"]}})
    git(repo, "init", "-q", "-b", "main")
    git(repo, "remote", "add", "origin", "https://dev.azure.com/acme/platform/_git/gitops")
    code = main(["init", "--sourcedir", str(repo), "--default-branch", "main", "--output", "json"])
    assert code == 0
    data = json.loads(capsys.readouterr().out)
    assert data["result"] == "changed"
    assert "azure-pipelines/gitops-promotion-new.yml" in data["files"]
    # Everything is there and up to date: nothing written, and that is not an error.
    assert main(["init", "--sourcedir", str(repo), "--default-branch", "main", "--output", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["result"] == "nothing-to-do"


# -- doctor --------------------------------------------------------------------------------------------------
def _names(result_lines: tuple[str, ...]) -> str:
    return "\n".join(result_lines)


def test_doctor_passes_on_a_repo_init_wrote(example_repo: tuple[Path, Path]) -> None:
    _, work = example_repo
    init(work, action_ref=PIN, force=True)
    result = doctor(work, config_path=work / "gitops-promotion.yaml", repo=GitRepo(work))
    assert result.exit_code == 0, _names(result.lines)
    assert result.message.startswith("doctor: ready to promote")
    assert all(line.startswith("[  ok]") for line in result.lines)


def test_doctor_fails_with_fixes(example_repo: tuple[Path, Path]) -> None:
    _, work = example_repo
    init(work, force=True)
    # A workflow written before the first release still carries the placeholder reference.
    promote = work / ".github/workflows/gitops-promotion-promote.yml"
    promote.write_text(
        re.sub(r"uses: gitops-promotion/gitops-promotion@v\d+.*", f"uses: {ACTION_PLACEHOLDER}", promote.read_text())
    )
    (work / "apps" / "prod" / "podinfo.yaml").write_text("image: registry.test/podinfo:1.0\n")
    (work / "platform" / "dev").mkdir(parents=True)
    (work / "platform" / "dev" / "ingress.yaml").write_text(MARKED.format(group="platform", app="ingress"))
    result = doctor(work, config_path=work / "gitops-promotion.yaml", repo=GitRepo(work))
    text = _names(result.lines)
    assert result.exit_code == 1
    assert "[FAIL] environment directories: missing: platform/qa, platform/prod" in text
    assert "[FAIL] every app has a marker in every environment: missing: apps:podinfo in apps/prod; " in text
    assert "[FAIL] workflows pin the gitops-promotion action: placeholder reference in" in text
    assert (
        "[warn] the gitops-promotion action is pinned by commit SHA: a tag, which moves with each release, in "
        ".github/workflows/gitops-promotion-new.yml (gitops-promotion/gitops-promotion@v1), "
    ) in text
    assert (
        f"fix: pin the release you tested: uses: gitops-promotion/gitops-promotion@<its commit SHA> # v{__version__}"
        in text
    )
    assert text.count("       fix: ") == 4
    # each failed check links the guide's step that fixes it
    assert text.count("       see: https://github.com/gitops-promotion/gitops-promotion/blob/main/docs/") == 4
    assert result.data["checks"][0] == {
        "name": "config valid",
        "ok": True,
        "blocking": True,
        "detail": "gitops-promotion.yaml: dev, qa, prod",
        "fix": "",
    }


def test_init_writes_the_released_major_tag_and_doctor_only_warns(example_repo: tuple[Path, Path]) -> None:
    """Without --action-ref the workflows use the action's moving major tag (it exists after every release):
    promotions can run, and doctor advises pinning the commit."""
    _, work = example_repo
    result = init(work, force=True)
    new = (work / ".github/workflows/gitops-promotion-new.yml").read_text()
    assert f"uses: {home.ACTION_REF} # v{home.MAJOR} follows every" in new
    assert "0000000000000000000000000000000000000000" not in new
    assert any(f"--action-ref {home.REPOSITORY}@<commit SHA>" in line for line in result.lines)
    checked = doctor(work, config_path=work / "gitops-promotion.yaml", repo=GitRepo(work))
    assert checked.exit_code == 0, _names(checked.lines)
    assert "[warn] the gitops-promotion action is pinned by commit SHA" in _names(checked.lines)


def test_doctor_reports_an_invalid_config_as_a_check(tmp_path: Path) -> None:
    (tmp_path / "gitops-promotion.yaml").write_text("environments: []\n")
    result = doctor(tmp_path, config_path=tmp_path / "gitops-promotion.yaml")
    assert result.exit_code == 1
    assert result.lines[0].startswith("[FAIL] config valid: ")
    assert "environments" in result.lines[0]


def test_doctor_checks_environment_branches(example_repo: tuple[Path, Path]) -> None:
    _, work = example_repo
    config = work / "gitops-promotion.yaml"
    text = config.read_text()
    config.write_text(text.replace("  - name: prod\n", "  - name: prod\n    branch: env/prod\n"))
    result = doctor(work, config_path=config, repo=GitRepo(work))
    text = _names(result.lines)
    assert "[FAIL] environment branch env/prod exists: prod deploys from env/prod" in text
    assert "fix: create it from the default branch: git push origin HEAD:refs/heads/env/prod" in text
    git(work, "push", "-q", "origin", "HEAD:refs/heads/env/prod")
    git(work, "fetch", "-q", "origin")
    result = doctor(work, config_path=config, repo=GitRepo(work))
    assert "[  ok] environment branch env/prod exists" in _names(result.lines)
    assert "env/prod:apps" not in _names(result.lines)  # the group's directory is on that branch


class StubForge:
    name = "stub"

    def __init__(self, checks: list[Check]) -> None:
        self.checks = checks
        self.asked: list[tuple[list[str], str]] = []

    def settings_checks(self, *, base_branches: list[str], required_check: str) -> list[Check]:
        self.asked.append((base_branches, required_check))
        return self.checks


def test_doctor_includes_the_forge_checks(example_repo: tuple[Path, Path]) -> None:
    _, work = example_repo
    init(work, action_ref=PIN, force=True)
    forge = StubForge(
        [
            Check("auto-merge allowed", False, "acme/gitops", fix="enable auto-merge"),
            Check("can read protection", False, "403", blocking=False),
        ]
    )
    result = doctor(
        work, config_path=work / "gitops-promotion.yaml", repo=GitRepo(work), provider_factory=lambda: forge
    )
    assert forge.asked == [(["main"], "gitops-promotion/gate")]
    assert result.exit_code == 1
    assert "[FAIL] auto-merge allowed: acme/gitops" in result.lines
    assert "[warn] can read protection: 403" in result.lines
    forge.checks = [Check("can read protection", False, "403", blocking=False)]
    result = doctor(
        work, config_path=work / "gitops-promotion.yaml", repo=GitRepo(work), provider_factory=lambda: forge
    )
    assert result.exit_code == 0 and "1 warning(s)" in result.message


def test_doctor_reports_an_unreachable_forge(example_repo: tuple[Path, Path]) -> None:
    _, work = example_repo

    def broken() -> object:
        raise ProviderError("GitHub answered 401 Bad credentials")

    result = doctor(work, config_path=work / "gitops-promotion.yaml", provider_factory=broken)
    assert "[FAIL] forge reachable: GitHub answered 401 Bad credentials" in result.lines


def test_doctor_cli_against_the_fake_github(
    tmp_path: Path,
    github_fake_factory: FakeFactory,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    files = {"gitops-promotion.yaml": "environments:\n  - name: dev\n    auto: true\n  - name: prod\n"}
    for env in ("dev", "prod"):
        files[f"apps/{env}/web.yaml"] = MARKED.format(group="apps", app="web")
    bare = seed_bare_repo(tmp_path, files)
    work = clone(bare, tmp_path / "work")
    init(work, action_ref=PIN, force=True)
    fake = github_fake_factory(bare)
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/gitops")
    monkeypatch.setenv("GITHUB_API_URL", fake.api_url)
    argv = ["doctor", "--sourcedir", str(work), "--provider", "github", "--token", fake.token]
    assert main(argv) == 1  # main is not protected yet
    out = capsys.readouterr().out
    assert "[FAIL] branch protection on main requires 'gitops-promotion/gate': main is not protected" in out
    assert "fix: protect main with a required status check named 'gitops-promotion/gate'" in out
    assert fake.token not in out
    fake.protect("main", "gitops-promotion/gate")
    assert main(argv) == 0, capsys.readouterr().out
    assert "[  ok] auto-merge allowed" in capsys.readouterr().out
    assert main([*argv[:3], "--skip-forge"]) == 0


def test_doctor_against_the_fake_azure_devops(
    azure_repo: Seeded, azure_forge: AzureFake, azure_provider: object
) -> None:
    from gitops_promotion.providers.azure_doctor import BUILD_POLICY

    work = make_layout(azure_repo.work, {"apps": {"dev": ["web"], "prod": ["web"]}})
    init(work, platform="azure")
    config = work / "gitops-promotion.yaml"
    result = doctor(work, config_path=config, repo=GitRepo(work), provider_factory=lambda: azure_provider)
    assert result.exit_code == 1
    assert "[FAIL] a required policy on main runs the gate: no enabled, required build validation" in _names(
        result.lines
    )
    azure_forge.add_policy("main", BUILD_POLICY, {"buildDefinitionId": 7, "displayName": "gitops-promotion status"})
    result = doctor(work, config_path=config, repo=GitRepo(work), provider_factory=lambda: azure_provider)
    assert result.exit_code == 0, _names(result.lines)
    assert "[  ok] a required policy on main runs the gate: build validation gitops-promotion status" in result.lines
    assert "[  ok] the token can push branches and open pull requests" in result.lines


def test_doctor_flags_promotions_with_the_workflow_token(example_repo: tuple[Path, Path]) -> None:
    _, work = example_repo
    init(work, action_ref=PIN, force=True)
    workflow = work / ".github/workflows/gitops-promotion-promote.yml"
    workflow.write_text(workflow.read_text().replace("${{ steps.app-token.outputs.token }}", "${{ github.token }}"))
    result = doctor(work, config_path=work / "gitops-promotion.yaml", repo=GitRepo(work))
    assert result.exit_code == 1
    assert (
        "[FAIL] promotions use a token that triggers workflows: GITHUB_TOKEN in "
        ".github/workflows/gitops-promotion-promote.yml (promote)"
    ) in result.lines
    # the status workflow reads only: its github.token is fine and not reported
    assert "gitops-promotion-status.yml" not in _names(result.lines)


def test_doctor_flags_a_repository_without_a_scheduled_reconcile(example_repo: tuple[Path, Path]) -> None:
    _, work = example_repo
    init(work, action_ref=PIN, force=True)
    reconcile = work / ".github" / "workflows" / "gitops-promotion-reconcile.yml"
    assert "reconcile" in reconcile.read_text()
    # Run by hand only (no schedule) is not enough: nothing would heal a lost promote run.
    reconcile.write_text(reconcile.read_text().replace('  schedule:\n    - cron: "*/10 * * * *"\n', ""))
    result = doctor(work, config_path=work / "gitops-promotion.yaml", repo=GitRepo(work))
    text = _names(result.lines)
    assert result.exit_code == 1
    assert "[FAIL] a scheduled reconcile heals lost promotions: no workflow runs `reconcile` on a schedule" in text
    reconcile.unlink()
    assert "[FAIL] a scheduled reconcile heals lost promotions" in _names(
        doctor(work, config_path=work / "gitops-promotion.yaml", repo=GitRepo(work)).lines
    )
