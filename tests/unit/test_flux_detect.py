from __future__ import annotations

from pathlib import Path

from gitops_promotion.commands.doctor_flux import propose
from gitops_promotion.commands.flux_detect import (
    FluxKustomization,
    add_flux_blocks,
    detect_flux_blocks,
    flux_block,
    reconcilers,
)
from gitops_promotion.config import load_config
from gitops_promotion.gate import read_gate, selection_for
from gitops_promotion.providers.base import CommitStatus
from tests.unit.test_gate import T0


def test_the_most_specific_kustomization_reconciles_a_directory() -> None:
    whole = FluxKustomization("flux-system", "flux-system", "clusters/dev/flux-system/gotk-sync.yaml", "")
    apps = FluxKustomization("apps", "flux-system", "clusters/dev/apps.yaml", "apps/dev")
    other = FluxKustomization("apps-dev2", "flux-system", "clusters/dev/apps.yaml", "apps/dev2")
    assert reconcilers([whole, apps, other], "apps/dev") == [apps]
    assert reconcilers([whole, apps, other], "apps/dev/podinfo") == [apps]
    assert reconcilers([whole, apps, other], "web/dev") == [whole]
    assert reconcilers([apps], "web/dev") == []


def test_flux_block_for_one_name_per_group_or_several() -> None:
    assert flux_block({"apps": {"apps"}, "web": {"apps"}}) == "{name: apps}"
    assert flux_block({"apps": {"apps"}, "web": {"web"}}) == "{name: '{group}'}"
    assert flux_block({"apps": {"apps", "apps-east"}}) == "{context: 'kustomization/(apps|apps\\-east)(/[0-9a-f]{8})?'}"
    assert flux_block({"apps": {"apps"}, "web": set()}) is None  # one group unknown: leave the default


def test_detected_blocks_are_valid_config_that_selects_them(tmp_path: Path) -> None:
    for cluster, name in (("east", "apps"), ("west", "apps-west")):
        (tmp_path / "clusters" / cluster).mkdir(parents=True)
        (tmp_path / "clusters" / cluster / "apps.yaml").write_text(
            "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\n"
            f"metadata: {{name: {name}, namespace: flux-system}}\n"
            "spec: {path: ./apps/dev, sourceRef: {kind: GitRepository, name: flux-system}}\n",
            encoding="utf-8",
        )
    blocks = detect_flux_blocks(tmp_path, ["apps"], ["dev", "prod"])
    assert list(blocks) == ["dev"]
    text = add_flux_blocks("environments:\n  - name: dev\n    auto: true\n  - name: prod\n", blocks)
    assert text.splitlines()[2] == (
        "    flux: {context: 'kustomization/(apps|apps\\-west)(/[0-9a-f]{8})?'}"
        "  # Flux Kustomization in clusters/east/apps.yaml, clusters/west/apps.yaml"
    )
    path = tmp_path / "gitops-promotion.yaml"
    path.write_text(text, encoding="utf-8")
    chosen = selection_for(load_config(path), "apps", "dev")
    statuses = [
        CommitStatus("kustomization/apps/5f0e7c1a", "success", T0),
        CommitStatus("kustomization/apps-west", "success", T0),
    ]
    reading = read_gate(statuses, chosen)
    assert reading.verdict == "success" and len(reading.seen) == 2


def test_doctor_proposes_the_object_flux_reports_most() -> None:
    assert propose(["kustomization/apps/5f0e7c1a"]) == "{name: apps}"
    assert propose(["HelmRelease/podinfo/5f0e7c1a", "helmrelease/podinfo/9d3e11aa", "kustomization/apps"]) == (
        "{kind: HelmRelease, name: podinfo, providers: [5f0e7c1a, 9d3e11aa]}"
    )
    # commitStatusExpr contexts (on Azure DevOps the genre says they are Flux's): matched whole
    assert propose(["flux/staging/5f0e7c1a"]) == "{context: 'flux/staging/[0-9a-f]{8}'}"
    assert propose([]) is None
