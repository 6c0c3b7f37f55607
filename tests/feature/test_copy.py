"""The feature copy: whole files against golden files, and the env's render before and after (real kustomize)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from gitops_promotion.errors import ManifestError, UsageError
from gitops_promotion.features import duplicate
from gitops_promotion.features.duplicate import FeatureSpec, write_feature
from gitops_promotion.features.kustomize import render
from gitops_promotion.features.naming import FEATURE_LABEL
from tests.feature.layouts import KUSTOMIZATION, files, write_files
from tests.feature.tools import ensure_kustomize

GOLDEN = Path(__file__).parent / "golden"
# Regenerate with GITOPS_PROMOTION_UPDATE_GOLDEN=1 after an intended change, then review the diff.
UPDATE = os.environ.get("GITOPS_PROMOTION_UPDATE_GOLDEN") == "1"
SPEC = FeatureSpec(group="apps", app="podinfo", tag="pr-42", feature="fix-login", selector={"app": "podinfo"})
NEW = "ghcr.io/stefanprodan/podinfo:pr-42"
OLD = "ghcr.io/stefanprodan/podinfo:6.4.0"


@pytest.fixture(scope="module")
def kustomize() -> list[str]:
    return ensure_kustomize()


def make_env(root: Path, layout: str = "markers") -> Path:
    write_files(root, files(layout))
    return root / "apps/dev"


def tree(directory: Path) -> dict[str, bytes]:
    return {p.relative_to(directory).as_posix(): p.read_bytes() for p in sorted(directory.rglob("*")) if p.is_file()}


def by_name(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    return {(o["kind"], o["metadata"]["name"]): o for o in objects}


def pod(obj: dict[str, Any]) -> dict[str, Any]:
    if obj["kind"] == "CronJob":
        return obj["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    return obj["spec"]["template"]["spec"]


def images(obj: dict[str, Any]) -> dict[str, str]:
    spec = pod(obj)
    return {c["name"]: c["image"] for c in [*spec.get("initContainers", []), *spec["containers"]]}


@pytest.mark.parametrize("layout", ["markers", "images"])
def test_copy_matches_golden_files(tmp_path: Path, kustomize: list[str], layout: str) -> None:
    env = make_env(tmp_path, layout)
    written = write_feature(SPEC, env, repo_root=tmp_path, command=kustomize)
    actual = {f"podinfo-fix-login/{k}": v for k, v in tree(env / "podinfo-fix-login").items()}
    actual["kustomization.yaml"] = (env / "kustomization.yaml").read_bytes()
    golden = GOLDEN / layout
    if UPDATE:
        for name, data in actual.items():
            (golden / name).parent.mkdir(parents=True, exist_ok=True)
            (golden / name).write_bytes(data)
    assert actual.keys() == tree(golden).keys()
    for name, data in tree(golden).items():
        assert actual[name].decode() == data.decode(), name
    assert written.patched_images is (layout == "images")
    assert written.drift == []  # the env's render keeps the copy exactly as written
    assert written.paths == [env / "podinfo-fix-login", env / "kustomization.yaml"]


def test_render_runs_the_feature_beside_an_untouched_app(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    before = by_name(render(env, kustomize, where="apps/dev"))
    write_feature(SPEC, env, repo_root=tmp_path, command=kustomize)
    after = by_name(render(env, kustomize, where="apps/dev"))
    # Every original object renders exactly as before: kustomize must not point the app's own Ingress or
    # StatefulSet serviceName at the copy (it does when the copy is renamed by a nameSuffix in the env build).
    assert {key: after[key] for key in before} == before
    copies = {key: obj for key, obj in after.items() if key not in before}
    assert sorted(copies) == [
        ("ConfigMap", "podinfo-config-fix-login"),
        ("CronJob", "podinfo-report-fix-login"),
        ("Deployment", "podinfo-fix-login"),
        ("HTTPRoute", "podinfo-fix-login"),
        ("Ingress", "podinfo-fix-login"),
        ("Service", "podinfo-fix-login"),
        ("StatefulSet", "podinfo-cache-fix-login"),
    ]
    labels = {"app": "podinfo-fix-login", FEATURE_LABEL: "fix-login"}
    for obj in copies.values():
        assert obj["metadata"]["labels"] == labels

    deployment = copies["Deployment", "podinfo-fix-login"]
    assert images(deployment) == {"migrate": NEW, "podinfo": NEW, "proxy": "docker.io/envoyproxy/envoy:v1.30.0"}
    assert deployment["spec"]["selector"]["matchLabels"] == labels
    assert pod(deployment)["containers"][0]["envFrom"][0]["configMapRef"]["name"] == "podinfo-config-fix-login"
    stateful = copies["StatefulSet", "podinfo-cache-fix-login"]
    assert images(stateful) == {"warm": NEW, "cache": "redis:7.2"}
    assert stateful["spec"]["serviceName"] == "podinfo-fix-login"
    assert images(copies["CronJob", "podinfo-report-fix-login"]) == {"wait": "busybox:1.36", "report": NEW}
    assert copies["Service", "podinfo-fix-login"]["spec"]["selector"] == labels

    ingress = copies["Ingress", "podinfo-fix-login"]["spec"]
    assert [r["host"] for r in ingress["rules"]] == ["fix-login.podinfo.example.com"]
    assert ingress["tls"][0]["hosts"] == ["fix-login.podinfo.example.com"]
    assert ingress["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == "podinfo-fix-login"

    route = copies["HTTPRoute", "podinfo-fix-login"]["spec"]
    assert route["hostnames"] == ["fix-login.podinfo.example.com", "*.fix-login.podinfo.example.com"]
    assert route["rules"][0]["filters"][0]["requestRedirect"]["hostname"] == "fix-login.podinfo.example.com"
    backends = route["rules"][1]["backendRefs"]
    assert [b["name"] for b in backends] == ["podinfo-fix-login", "external"]  # a ServiceImport is not ours
    assert route["rules"][1]["filters"][0]["requestMirror"]["backendRef"]["name"] == "podinfo-fix-login"
    assert route["parentRefs"] == [{"name": "gateway", "namespace": "infra"}]


def test_env_kustomization_gains_one_line_and_keeps_every_other_byte(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    original = {name: data for name, data in tree(env).items()}
    write_feature(SPEC, env, repo_root=tmp_path, command=kustomize)
    assert (env / "kustomization.yaml").read_text() == KUSTOMIZATION + "  - podinfo-fix-login\n"
    # The probe render set the markers to a probe tag and put every byte back.
    now = tree(env)
    assert {k: now[k] for k in original if k != "kustomization.yaml"} == {
        k: v for k, v in original.items() if k != "kustomization.yaml"
    }


def test_rerun_replaces_the_copy_and_lists_it_once(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    write_feature(SPEC, env, repo_root=tmp_path, command=kustomize)
    (env / "podinfo-fix-login" / "leftover.yaml").write_text("kind: ConfigMap\n")
    spec = FeatureSpec(**{**SPEC.__dict__, "tag": "pr-43"})
    write_feature(spec, env, repo_root=tmp_path, command=kustomize)
    assert not (env / "podinfo-fix-login" / "leftover.yaml").exists()
    assert (env / "kustomization.yaml").read_text().count("podinfo-fix-login") == 1
    rendered = by_name(render(env, kustomize, where="apps/dev"))
    assert images(rendered["Deployment", "podinfo-fix-login"])["podinfo"] == "ghcr.io/stefanprodan/podinfo:pr-43"


def test_earlier_feature_copies_are_not_copied_again(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    write_feature(SPEC, env, repo_root=tmp_path, command=kustomize)
    other = FeatureSpec(**{**SPEC.__dict__, "feature": "other"})
    written = write_feature(other, env, repo_root=tmp_path, command=kustomize)
    assert not [name for name in written.files if "fix-login" in name]
    assert len(written.files) == 7
    text = (env / "kustomization.yaml").read_text()
    assert text.endswith("  - podinfo-fix-login\n  - podinfo-other\n")


def test_images_layout_gets_a_patch_that_wins_over_the_env_images(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path, "images")
    write_feature(SPEC, env, repo_root=tmp_path, command=kustomize)
    rendered = by_name(render(env, kustomize, where="apps/dev"))
    assert images(rendered["Deployment", "podinfo"])["podinfo"] == OLD
    assert images(rendered["Deployment", "podinfo-fix-login"]) == {
        "migrate": NEW,
        "podinfo": NEW,
        "proxy": "docker.io/envoyproxy/envoy:v1.30.0",
    }


def test_an_override_that_cannot_be_undone_is_an_error(
    tmp_path: Path, kustomize: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    env = make_env(tmp_path, "images")
    noop = "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: noop}\nlabels: {}\nfieldSpecs: []\n"

    def patch_without_effect(_spec: FeatureSpec, directory: Path, _wrong: object) -> None:
        (directory / duplicate.PATCH_FILE).write_text(noop)

    monkeypatch.setattr(duplicate, "_write_patch", patch_without_effect)
    with pytest.raises(ManifestError) as caught:
        write_feature(SPEC, env, repo_root=tmp_path, command=kustomize)
    message = str(caught.value)
    assert "Deployment/podinfo-fix-login container migrate renders as " + OLD in message
    assert "featureOverwrite: true" in message


def test_selector_that_selects_nothing(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    spec = FeatureSpec(**{**SPEC.__dict__, "selector": {"app": "nope"}})
    with pytest.raises(
        ManifestError,
        match=r"featureLabelSelector app=nope of apps/podinfo selects nothing in "
        r"apps/dev",
    ):
        write_feature(spec, env, repo_root=tmp_path, command=kustomize)
    assert not (env / "podinfo-fix-login").exists()


def test_selected_objects_without_the_apps_image(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    spec = FeatureSpec(**{**SPEC.__dict__, "selector": {"app": "web"}})  # web's objects run web's image
    with pytest.raises(ManifestError, match="no container of the objects featureLabelSelector selects"):
        write_feature(spec, env, repo_root=tmp_path, command=kustomize)


def test_app_without_a_marker(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    spec = FeatureSpec(**{**SPEC.__dict__, "app": "ghost"})
    with pytest.raises(ManifestError, match="no marker for apps:ghost under apps/dev"):
        write_feature(spec, env, repo_root=tmp_path, command=kustomize)


def test_names_too_long_for_kubernetes(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    spec = FeatureSpec(**{**SPEC.__dict__, "feature": "f" * 60})
    with pytest.raises(UsageError, match=r"--feature 'f+': Service podinfo-f+ would exceed 63 characters"):
        write_feature(spec, env, repo_root=tmp_path, command=kustomize)


def test_env_without_a_kustomization(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    (env / "kustomization.yaml").unlink()
    with pytest.raises(ManifestError, match=r"apps/dev/ has no kustomization.yaml"):
        write_feature(SPEC, env, repo_root=tmp_path, command=kustomize)


def test_render_failure_names_the_directory(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    (env / "kustomization.yaml").write_text("resources:\n  - missing.yaml\n")
    with pytest.raises(ManifestError, match=r"^apps/dev: (kubectl kustomize|kustomize build) failed: .*missing"):
        write_feature(SPEC, env, repo_root=tmp_path, command=kustomize)


def test_env_transformers_that_change_the_copy_again_are_reported(tmp_path: Path, kustomize: list[str]) -> None:
    env = make_env(tmp_path)
    (env / "kustomization.yaml").write_text(KUSTOMIZATION + "namePrefix: dev-\n")
    written = write_feature(SPEC, env, repo_root=tmp_path, command=kustomize)
    assert "Service/dev-podinfo-fix-login: metadata.name" in written.drift
    assert "Ingress/dev-podinfo-fix-login: metadata.name, spec.rules[0].http.paths[0].backend.service.name" in (
        written.drift
    )
    assert len(written.drift) == 7  # every copy gets the env's prefix a second time
    rendered = by_name(render(env, kustomize, where="apps/dev"))
    assert images(rendered["Deployment", "dev-dev-podinfo-fix-login"])["podinfo"] == NEW
