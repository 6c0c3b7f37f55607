"""Rendered objects of an app: label selection, their containers, and the edits that make a feature copy."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from gitops_promotion.features.kustomize import Resource
from gitops_promotion.features.naming import FEATURE_LABEL, prefixed_host, suffixed

# Where each workload kind keeps its pod spec (a JSON pointer, as kustomize patches address it).
POD_SPEC_PATHS: dict[str, tuple[str, ...]] = {
    "Deployment": ("spec", "template", "spec"),
    "StatefulSet": ("spec", "template", "spec"),
    "DaemonSet": ("spec", "template", "spec"),
    "ReplicaSet": ("spec", "template", "spec"),
    "Job": ("spec", "template", "spec"),
    "CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
    "Pod": ("spec",),
}
CONTAINER_LISTS = ("initContainers", "containers")
_GATEWAY_GROUP = "gateway.networking.k8s.io"


@dataclass(frozen=True)
class ContainerRef:
    """One container of one object: its kind and name, and the JSON pointer of its ``image``."""

    kind: str
    name: str  # the object's name
    container: str
    pointer: str  # e.g. /spec/template/spec/containers/0/image

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.kind, self.name, self.pointer)


def kind_of(obj: Resource) -> str:
    return str(obj.get("kind", ""))


def name_of(obj: Resource) -> str:
    return str((obj.get("metadata") or {}).get("name", ""))


def labels_of(obj: Resource) -> Mapping[str, Any]:
    return (obj.get("metadata") or {}).get("labels") or {}


def select(objects: list[Resource], selector: Mapping[str, str]) -> list[Resource]:
    """Objects carrying every label of ``selector``, except feature copies (they carry FEATURE_LABEL)."""

    def wanted(obj: Resource) -> bool:
        labels = labels_of(obj)
        return FEATURE_LABEL not in labels and all(labels.get(k) == v for k, v in selector.items())

    return [obj for obj in objects if wanted(obj)]


def feature_copies(objects: list[Resource], feature: str) -> list[Resource]:
    return [obj for obj in objects if labels_of(obj).get(FEATURE_LABEL) == feature]


def containers(obj: Resource) -> Iterator[tuple[ContainerRef, dict[str, Any]]]:
    """Every container and init container of a workload, with a reference to its image field."""
    path = POD_SPEC_PATHS.get(kind_of(obj))
    if path is None:
        return
    spec: Any = obj
    for part in path:
        spec = spec.get(part) if isinstance(spec, dict) else None
    if not isinstance(spec, dict):
        return
    for field in CONTAINER_LISTS:
        for index, container in enumerate(spec.get(field) or []):
            if isinstance(container, dict) and isinstance(container.get("image"), str):
                pointer = "/" + "/".join((*path, field, str(index), "image"))
                ref = ContainerRef(kind_of(obj), name_of(obj), str(container.get("name", "")), pointer)
                yield ref, container


def images_by_ref(objects: list[Resource]) -> dict[tuple[str, str, str], str]:
    return {ref.key: str(c["image"]) for obj in objects for ref, c in containers(obj)}


def make_copy(obj: Resource, feature: str, images: Mapping[str, str], services: set[str]) -> Resource:
    """Edit ``obj`` in place into its feature copy and return it.

    ``images`` maps image pointers of this object to the feature's image; ``services`` are the Service names
    copied too, whose references from an HTTPRoute get the feature suffix. (kustomize renames an Ingress's
    Service references itself when it adds the nameSuffix, but it does not know HTTPRoute, a CRD.)
    """
    for ref, container in containers(obj):
        if ref.pointer in images:
            container["image"] = images[ref.pointer]
    kind = kind_of(obj)
    if kind == "Ingress" and str(obj.get("apiVersion", "")).startswith("networking.k8s.io/"):
        _ingress(obj, feature)
    elif kind == "HTTPRoute" and str(obj.get("apiVersion", "")).startswith(_GATEWAY_GROUP + "/"):
        _http_route(obj, feature, services)
    return obj


def _ingress(obj: Resource, feature: str) -> None:
    spec = obj.get("spec") or {}
    for rule in spec.get("rules") or []:
        if isinstance(rule, dict) and isinstance(rule.get("host"), str):
            rule["host"] = prefixed_host(rule["host"], feature)
    for tls in spec.get("tls") or []:
        if isinstance(tls, dict):
            tls["hosts"] = _hosts(tls.get("hosts"), feature)


def _hosts(hosts: Any, feature: str) -> list[Any]:
    return [prefixed_host(h, feature) if isinstance(h, str) else h for h in hosts or []]


def namespace_of(obj: Resource) -> str:
    return str((obj.get("metadata") or {}).get("namespace") or "")


def service_key(namespace: str, name: str) -> str:
    return f"{namespace}/{name}"


def _http_route(obj: Resource, feature: str, services: set[str]) -> None:
    spec = obj.get("spec") or {}
    if isinstance(spec.get("hostnames"), list):
        spec["hostnames"] = _hosts(spec["hostnames"], feature)
    namespace = namespace_of(obj)  # a backendRef without a namespace means the route's own
    for rule in spec.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        _filters(rule.get("filters"), feature, services, namespace)
        for backend in rule.get("backendRefs") or []:
            _backend(backend, feature, services, namespace)
            if isinstance(backend, dict):
                _filters(backend.get("filters"), feature, services, namespace)


def _filters(filters: Any, feature: str, services: set[str], namespace: str) -> None:
    for item in filters or []:
        if not isinstance(item, dict):
            continue
        mirror = item.get("requestMirror")
        if isinstance(mirror, dict):
            _backend(mirror.get("backendRef"), feature, services, namespace)
        # A redirect or rewrite to the app's own host would send the feature's users back to the app.
        for key in ("requestRedirect", "urlRewrite"):
            inner = item.get(key)
            if isinstance(inner, dict) and isinstance(inner.get("hostname"), str) and inner["hostname"]:
                inner["hostname"] = prefixed_host(inner["hostname"], feature)


def _backend(ref: Any, feature: str, services: set[str], namespace: str) -> None:
    """Suffix a reference to a copied core Service (Gateway API defaults group "" and kind Service)."""
    if not isinstance(ref, dict) or ref.get("group") not in (None, ""):
        return
    if ref.get("kind") not in (None, "Service"):
        return
    name = ref.get("name")
    if isinstance(name, str) and service_key(str(ref.get("namespace") or namespace), name) in services:
        ref["name"] = suffixed(name, feature)
