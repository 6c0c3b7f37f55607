"""new -> promote -> status through the real CLI on Flux's own example repositories, on both fake forges, with
commit statuses in every shape Flux posts them (DESIGN 3): the staging gate of a production promotion opens
only on what staging's Flux reported, as the environment's ``flux:`` block selects it."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import git
from tests.e2e.realrepos import HELM, TENANCY, RealRepo, build
from tests.e2e.steps import run_cli
from tests.forge.azure_fake import AzureFake
from tests.forge.azure_fixtures import AZURE_REMOTE, AZURE_TOKEN
from tests.forge.fixtures import FakeFactory

pytestmark = pytest.mark.e2e
STAGING, PRODUCTION = "5f0e7c1a", "9d3e11aa"  # first UID segments of each cluster's Flux Provider
Statuses = tuple[tuple[str, str], ...]  # (context, "success" | "failure")


@dataclass(frozen=True)
class Shape:
    """One way Flux reports: staging's ``flux:`` block, statuses that must keep the gate closed (and what it then
    says), and statuses that open it."""

    flux: str
    before: Statuses
    closed: str
    after: Statuses


SHAPES = {
    # notification-controller v0.30+: kind/name/<first segment of the Provider's UID>, per cluster.
    "current": Shape(
        "{name: apps}",
        (),
        "no Flux status yet (waiting for kustomization/apps)",
        ((f"kustomization/apps/{STAGING}", "success"),),
    ),
    # v0.0.8 to v0.29: no Provider suffix.
    "pre-v0.30": Shape(
        "{name: apps}",
        (("kustomization/flux-system", "success"),),
        "saw kustomization/flux-system; none matches kustomization/apps — set environments[staging].flux",
        (("kustomization/apps", "success"),),
    ),
    # A Provider with spec.commitStatusExpr chooses the context itself.
    "commitStatusExpr": Shape(
        "{context: '{env}/(?P<provider>[0-9a-f]{8})/kustomization/apps', providers: [5f0e7c1a]}",
        ((f"production/{PRODUCTION}/kustomization/apps", "success"),),
        # ({env} substituted; on Azure DevOps the genre marks production's status as Flux's, so it is listed)
        "context ~ staging/(?P<provider>[0-9a-f]{8})/kustomization/apps",
        ((f"staging/{STAGING}/kustomization/apps", "success"),),
    ),
    # Both clusters name their Kustomization `apps` and both report every commit of main: the Provider tells them
    # apart. Production's verdict never opens (or closes) staging's gate.
    "two-clusters": Shape(
        f"{{name: apps, providers: [{STAGING}]}}",
        ((f"kustomization/apps/{PRODUCTION}", "success"),),
        f"saw kustomization/apps/{PRODUCTION}; none matches kustomization/apps — set environments[staging].flux;"
        f" waiting for Provider(s) {STAGING}",
        ((f"kustomization/apps/{PRODUCTION}", "failure"), (f"kustomization/apps/{STAGING}", "success")),
    ),
    # Flux v1.8+: any kind may post; the Kustomization reporting does not prove the HelmRelease upgraded.
    "helmrelease": Shape(
        f"{{kind: HelmRelease, name: podinfo, providers: [{STAGING}]}}",
        ((f"kustomization/apps/{STAGING}", "success"),),
        f"saw kustomization/apps/{STAGING}; none matches helmrelease/podinfo",
        ((f"helmrelease/podinfo/{STAGING}", "success"),),
    ),
}


@dataclass
class Forge:
    """The few forge-side actions a flow needs, on either fake."""

    work: Path
    cli: Callable[..., tuple[int, str]]
    gate: Callable[[int], None]  # the required check passes on the PR; auto-merge/complete acts
    merge_commit: Callable[[int], str | None]
    flux: Callable[[str, str, str], None]  # (sha, context, state) as Flux posts it on this forge
    requests: list[str] = field(default_factory=list)


@pytest.fixture(params=["github", "azure"])
def forge_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def make_forge(
    forge_kind: str,
    github_fake_factory: FakeFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Iterator[Callable[[Path, Path], Forge]]:
    """``make(bare, work)``: the chosen fake forge over ``bare``, and the CLI aimed at it from ``work``."""
    azure_fakes: list[AzureFake] = []

    def make(bare: Path, work: Path) -> Forge:
        if forge_kind == "github":
            gh = github_fake_factory(bare)
            gh.protect("main", "promotion-gate")
            for key, value in {
                "GITHUB_REPOSITORY": "acme/gitops",
                "GITHUB_API_URL": gh.api_url,
                "GITHUB_TOKEN": gh.token,
                "GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL": "0",
            }.items():
                monkeypatch.setenv(key, value)
            return Forge(
                work,
                cli=lambda *args: run_cli(capsys, {}, [*args, "--sourcedir", str(work), "--provider", "github"]),
                gate=lambda pr: gh.post_status(gh.head_sha(pr), "promotion-gate", "success") and None,
                merge_commit=lambda pr: gh.pr(pr).merge_commit_sha,
                flux=lambda sha, context, state: (
                    gh.post_status(sha, context, state, description="reconciliation") and None
                ),
            )
        az = AzureFake(bare, token=AZURE_TOKEN).__enter__()
        azure_fakes.append(az)
        az.require_status("gitops-promotion", "gate")
        monkeypatch.setenv("BUILD_REPOSITORY_URI", AZURE_REMOTE)
        monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", AZURE_TOKEN)
        monkeypatch.setenv("AZURE_DEVOPS_CACHE_DIR", str(tmp_path / "azure-cache"))

        def gate(pr: int) -> None:
            az.post_pr_status(pr, "gitops-promotion", "gate", "succeeded")
            az.auto_complete()

        def flux(sha: str, context: str, state: str) -> None:
            # Flux's Azure DevOps notifier: genre fluxcd (fluxcd:<summary> when the Alert has one), state mapped.
            genre = "fluxcd:staging" if STAGING in context else "fluxcd"
            az.post_status(sha, {"success": "succeeded", "failure": "error"}[state], context, genre, state)

        return Forge(
            work,
            cli=lambda *args: run_cli(
                capsys, {}, [*args, "--sourcedir", str(work), "--provider", "azdo", "--api-url", az.base_url]
            ),
            gate=gate,
            merge_commit=lambda pr: az.prs[pr].merge_commit,
            flux=flux,
        )

    yield make
    for az in azure_fakes:
        az.__exit__(None, None, None)
        assert not az.violations, "requests the real Azure DevOps would reject:\n" + "\n".join(az.violations)


def _to_production(forge: Forge, repo: RealRepo) -> str:
    """new -> staging PR merged by its gate -> promote opens production; the staging merge commit."""
    code, out = forge.cli("new", "--group", repo.group, "--app", "podinfo", "--tag", "6.6.0")
    assert code == 0, out
    assert "with pull request 1" in out
    forge.gate(1)
    merge = forge.merge_commit(1)
    assert merge, "the staging PR did not auto-merge"
    git(forge.work, "fetch", "--quiet", "origin")
    staged = git(forge.work, "show", f"{merge}:{repo.values_file('staging')}")
    assert f'tag: 6.6.0 # {{"$imagepolicy": "{repo.group}:podinfo:tag"}}' in staged
    git(forge.work, "checkout", "--quiet", "-B", "main", "origin/main")
    code, out = forge.cli("promote")
    assert code == 0, out
    assert "to environment production" in out
    return merge


@pytest.mark.parametrize("shape", list(SHAPES))
def test_production_waits_for_what_staging_flux_reports(
    make_forge: Callable[[Path, Path], Forge], tmp_path: Path, shape: str
) -> None:
    case = SHAPES[shape]
    forge = make_forge(*build(tmp_path, HELM, case.flux))
    merge = _to_production(forge, HELM)
    branch = "promote/podinfo-podinfo"
    for context, state in case.before:
        forge.flux(merge, context, state)
    code, out = forge.cli("status", "--branch", branch, "--timeout", "0s")
    assert code == 1, out
    assert "timed out after 0s" in out and case.closed in out, out
    assert f"re-run: gitops-promotion status --branch {branch}" in out
    assert _show_gate(forge) == "gate waiting"  # `show` (and the dashboard) read the same selection
    for context, state in case.after:
        forge.flux(merge, context, state)
    code, out = forge.cli("status", "--branch", branch, "--timeout", "0s")
    assert code == 0, out
    assert "successful reconciliation for podinfo-staging" in out
    assert _show_gate(forge) == "gate open"


def _show_gate(forge: Forge) -> str:
    """The gate column of the production PR (number 2) in `show`."""
    code, out = forge.cli("show")
    assert code == 0, out
    row = next(line for line in out.splitlines() if line.strip().startswith("#2 "))
    return next(cell for cell in row.split("  ") if cell.startswith("gate "))


def test_without_providers_every_cluster_must_pass(make_forge: Callable[[Path, Path], Forge], tmp_path: Path) -> None:
    """No Provider list: both clusters' `apps` count, so production's failure closes staging's gate."""
    forge = make_forge(*build(tmp_path, HELM, "{name: apps}"))
    merge = _to_production(forge, HELM)
    forge.flux(merge, f"kustomization/apps/{STAGING}", "success")
    forge.flux(merge, f"kustomization/apps/{PRODUCTION}", "failure")
    code, out = forge.cli("status", "--branch", "promote/podinfo-podinfo", "--timeout", "0s")
    assert code == 1, out
    assert "reconciliation failed for podinfo-staging" in out
    assert f"kustomization/apps/{PRODUCTION}=failure" in out


def test_multi_tenancy_tenant_repository(make_forge: Callable[[Path, Path], Forge], tmp_path: Path) -> None:
    """The tenant repository: environments at the root, the platform's Kustomization `dev-team` in apps."""
    forge = make_forge(*build(tmp_path, TENANCY, f"{{name: '{{group}}', providers: [{STAGING}]}}"))
    merge = _to_production(forge, TENANCY)
    branch = "promote/dev-team-podinfo"
    forge.flux(merge, f"kustomization/dev-team/{PRODUCTION}", "success")
    code, out = forge.cli("status", "--branch", branch, "--timeout", "0s")
    assert code == 1 and f"waiting for Provider(s) {STAGING}" in out, out
    forge.flux(merge, f"kustomization/dev-team/{STAGING}", "success")
    code, out = forge.cli("status", "--branch", branch, "--timeout", "0s")
    assert code == 0, out
    assert "successful reconciliation for dev-team-staging" in out
