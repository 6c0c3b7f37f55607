"""Container discovery per workload kind, and label selection (no kustomize needed)."""

from __future__ import annotations

from typing import Any

import pytest

from gitops_promotion.features.naming import FEATURE_LABEL
from gitops_promotion.features.resources import POD_SPEC_PATHS, containers, make_copy, select


def workload(kind: str) -> dict[str, Any]:
    spec: dict[str, Any] = {
        "initContainers": [{"name": "init", "image": "a:1"}],
        "containers": [{"name": "main", "image": "b:1"}, {"name": "no-image"}],
    }
    for part in reversed(POD_SPEC_PATHS[kind]):
        spec = {part: spec}
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": "w"}, **spec}


@pytest.mark.parametrize("kind", sorted(POD_SPEC_PATHS))
def test_containers_of_every_workload_kind(kind: str) -> None:
    obj = workload(kind)
    found = [(ref.container, ref.pointer) for ref, _c in containers(obj)]
    prefix = "/" + "/".join(POD_SPEC_PATHS[kind])
    assert found == [("init", f"{prefix}/initContainers/0/image"), ("main", f"{prefix}/containers/0/image")]
    copy = make_copy(obj, "f", {f"{prefix}/containers/0/image": "b:2"}, set())
    assert [c["image"] for _ref, c in containers(copy)] == ["a:1", "b:2"]


def test_objects_without_pods_have_no_containers() -> None:
    assert list(containers({"kind": "Service", "spec": {}})) == []
    assert list(containers({"kind": "Deployment", "spec": None})) == []


def test_select_needs_every_label_and_skips_feature_copies() -> None:
    objects = [
        {"metadata": {"name": "a", "labels": {"app": "x", "tier": "web"}}},
        {"metadata": {"name": "b", "labels": {"app": "x"}}},
        {"metadata": {"name": "c", "labels": {"app": "x", "tier": "web", FEATURE_LABEL: "old"}}},
        {"metadata": {"name": "d"}},
    ]
    assert [o["metadata"]["name"] for o in select(objects, {"app": "x", "tier": "web"})] == ["a"]
    assert [o["metadata"]["name"] for o in select(objects, {"app": "x"})] == ["a", "b"]


def test_ingress_and_route_of_other_api_groups_are_left_alone() -> None:
    ingress = {"apiVersion": "extensions.example/v1", "kind": "Ingress", "spec": {"rules": [{"host": "a.b"}]}}
    assert make_copy(ingress, "f", {}, set())["spec"]["rules"][0]["host"] == "a.b"
    route = {
        "apiVersion": "gateway.networking.k8s.io/v1",
        "kind": "HTTPRoute",
        "metadata": {"name": "r", "namespace": "apps"},
        "spec": {
            "hostnames": ["a.b"],
            "rules": [
                {
                    "backendRefs": [
                        {"name": "s"},
                        {"name": "s", "namespace": "other"},
                        {"name": "t"},
                        {"name": "u", "namespace": "n"},
                    ]
                }
            ],
        },
    }
    spec = make_copy(route, "f", {}, {"apps/s", "n/u"})["spec"]
    assert spec["hostnames"] == ["f.a.b"]
    # s in the route's namespace and u in n were copied; s in another namespace and t were not
    assert [b["name"] for b in spec["rules"][0]["backendRefs"]] == ["s-f", "s", "t", "u-f"]
