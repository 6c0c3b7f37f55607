"""`init` on Flux's own example repositories: the Kustomization that reconciles each environment becomes its
``flux:`` block, cluster directories are no groups, and `--flux-manifests` gives the Provider and Alert."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from gitops_promotion.cli import main
from gitops_promotion.commands.flux_detect import find_kustomizations, is_flux_only, yaml_documents
from gitops_promotion.commands.flux_manifests import repository_address
from gitops_promotion.config import load_config
from gitops_promotion.gate import selection_for
from tests.conftest import git
from tests.e2e.realrepos import HELM_EXAMPLE, TENANT_PLATFORM, copy_tree


def _checkout(tmp_path: Path, source: Path, remote: str) -> Path:
    root = copy_tree(source, tmp_path / "repo")
    git(root, "init", "--quiet", "-b", "main")
    git(root, "remote", "add", "origin", remote)
    return root


def _cli(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out + err


def test_init_names_the_kustomization_that_reconciles_each_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = _checkout(tmp_path, HELM_EXAMPLE, "git@github.com:acme/fleet.git")
    code, out = _cli(capsys, "init", "--sourcedir", str(root), "--default-branch", "main", "--output", "json")
    assert code == 0, out
    data = json.loads(out)
    assert data["groups"] == ["apps"]  # not clusters/ (Flux's objects only), not infrastructure/
    assert data["environments"] == ["staging", "production"]
    text = (root / "gitops-promotion.yaml").read_text(encoding="utf-8")
    assert "    flux: {name: apps}  # Flux Kustomization in clusters/staging/apps.yaml\n" in text
    assert "    flux: {name: apps}  # Flux Kustomization in clusters/production/apps.yaml\n" in text
    config = load_config(root / "gitops-promotion.yaml")
    assert selection_for(config, "apps", "staging").wanted == "kustomization/apps"


def test_artifact_generator_paths_map_back_to_the_repository() -> None:
    """clusters/staging/apps.yaml reconciles ./staging of ExternalArtifact `apps`, copied from apps/staging."""
    found = {(k.file, k.name): k.path for k in find_kustomizations(yaml_documents(HELM_EXAMPLE))}
    assert found[("clusters/staging/apps.yaml", "apps")] == "apps/staging"
    assert found[("clusters/production/apps.yaml", "apps")] == "apps/production"
    assert found[("clusters/staging/infrastructure.yaml", "infra-configs")] == "infrastructure/configs"


def test_cluster_directories_are_flux_only() -> None:
    assert is_flux_only(HELM_EXAMPLE / "clusters")
    assert is_flux_only(TENANT_PLATFORM / "clusters")
    assert not is_flux_only(HELM_EXAMPLE / "apps")  # a Namespace, and HelmReleases deploy workloads
    assert not is_flux_only(TENANT_PLATFORM / "tenants")  # RBAC for the tenant


def test_init_on_the_platform_repository_of_multi_tenancy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = _checkout(tmp_path, TENANT_PLATFORM, "https://dev.azure.com/acme/platform/_git/fleet")
    code, out = _cli(capsys, "init", "--sourcedir", str(root), "--default-branch", "main", "--output", "json")
    assert code == 0, out
    assert json.loads(out)["groups"] == ["tenants"]
    text = (root / "gitops-promotion.yaml").read_text(encoding="utf-8")
    assert "    flux: {name: tenants}  # Flux Kustomization in clusters/staging/tenants.yaml\n" in text
    assert (root / "azure-pipelines").is_dir()


@pytest.mark.parametrize(
    ("remote", "kind", "address"),  # the platform comes from the remote, as for init
    [
        ("git@github.com:acme/fleet.git", "github", "https://github.com/acme/fleet"),
        (
            "https://acme@dev.azure.com/acme/platform/_git/fleet",
            "azuredevops",
            "https://dev.azure.com/acme/platform/_git/fleet",
        ),
        ("git@gitlab.com:acme/platform/fleet.git", "gitlab", "https://gitlab.com/acme/platform/fleet"),
        ("https://gitea.acme.test/acme/fleet.git", "gitea", "https://gitea.acme.test/acme/fleet"),
    ],
)
def test_flux_manifests_printed_then_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], remote: str, kind: str, address: str
) -> None:
    root = _checkout(tmp_path, HELM_EXAMPLE, remote)
    code, out = _cli(capsys, "init", "--flux-manifests", "print", "--sourcedir", str(root), "--output", "json")
    assert code == 0, out
    files = json.loads(out)["files"]
    assert sorted(files) == [
        "clusters/production/gitops-promotion-statuses.yaml",
        "clusters/staging/gitops-promotion-statuses.yaml",
    ]
    assert not (root / "gitops-promotion.yaml").exists()  # printing writes nothing
    provider, alert = list(YAML(typ="safe").load_all(files["clusters/staging/gitops-promotion-statuses.yaml"]))
    assert provider["apiVersion"] == alert["apiVersion"] == "notification.toolkit.fluxcd.io/v1beta3"
    assert provider["kind"] == "Provider" and alert["kind"] == "Alert"
    assert provider["spec"] == {"type": kind, "address": address, "secretRef": {"name": "gitops-promotion-flux-token"}}
    assert alert["metadata"]["namespace"] == provider["metadata"]["namespace"] == "flux-system"
    assert alert["spec"] == {
        "providerRef": {"name": "gitops-promotion"},
        "eventSeverity": "info",  # success statuses are info events
        "eventSources": [{"kind": "Kustomization", "name": "apps", "namespace": "flux-system"}],
    }
    code, out = _cli(capsys, "init", "--flux-manifests", "write", "--sourcedir", str(root))
    assert code == 0, out
    written = root / "clusters/staging/gitops-promotion-statuses.yaml"
    assert written.read_text(encoding="utf-8") == files["clusters/staging/gitops-promotion-statuses.yaml"]
    code, out = _cli(capsys, "init", "--flux-manifests", "write", "--sourcedir", str(root))
    assert code == 2 and "already there; nothing written" in out


def test_repository_address_never_keeps_credentials() -> None:
    assert repository_address("github", "https://x-access-token:ghs_secret@github.com/acme/fleet.git") == (
        "https://github.com/acme/fleet"
    )
    assert repository_address("azure", "git@ssh.dev.azure.com:v3/acme/platform/fleet") == (
        "https://dev.azure.com/acme/platform/_git/fleet"
    )
    assert repository_address("github", "") == "https://github.com/OWNER/REPOSITORY"


def test_doctor_lists_what_flux_posted_and_proposes_the_flux_block(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitops_promotion.providers.local import LocalForge
    from tests.e2e.realrepos import HELM, build

    remote, work = build(tmp_path, HELM, "{}")
    forge, head = LocalForge(remote), git(work, "rev-parse", "HEAD")
    forge.post_status(head, "kustomization/apps/5f0e7c1a", "success")  # both clusters reconcile main
    forge.post_status(head, "kustomization/apps/9d3e11aa", "success")
    forge.post_status(head, "ci/build", "success")
    code, out = _cli(capsys, "doctor", "--sourcedir", str(work), "--provider", "local")
    assert code == 1, out
    assert (
        "[FAIL] Flux statuses for staging: Flux posted kustomization/apps/5f0e7c1a, kustomization/apps/9d3e11aa "
        "on the last 1 commit(s) of main; none matches kustomization/podinfo-staging\n"
        "       fix: set environments[staging].flux: {name: apps, providers: [5f0e7c1a, 9d3e11aa]}"
    ) in out
    config = work / "gitops-promotion.yaml"
    config.write_text(config.read_text().replace("flux: {}", "flux: {name: apps, providers: [5f0e7c1a]}"))
    code, out = _cli(capsys, "doctor", "--sourcedir", str(work), "--provider", "local")
    assert "[  ok] Flux statuses for staging: Flux posted" in out, out
    # the last environment's statuses gate nothing: a mismatch there only warns
    assert "[warn] Flux statuses for production: Flux posted" in out
    assert "none matches kustomization/podinfo-production" in out
