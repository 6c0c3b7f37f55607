"""Which `:tag` marker values are whole image references (refused) and which are tags or anything else."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.manifests.forms import holds_full_reference
from gitops_promotion.manifests.markers import Marker, MarkerField


def _tag_marker(value: str, field: MarkerField = "tag") -> Marker:
    return Marker(path=Path("m.yaml"), line=1, namespace="apps", name="web", field=field, value=value)


@pytest.mark.parametrize(
    "value",
    [
        "registry.local:5000/tools/sidecar:1.0",
        "ghcr.io/org/app",
        "podinfo:6.4.0",
        "team/app",
        "app@sha256:" + "a" * 64,
        "localhost:5000/app:1.0@sha256:" + "b" * 64,
    ],
)
def test_references_under_a_tag_marker(value: str) -> None:
    assert holds_full_reference(_tag_marker(value))
    assert not holds_full_reference(_tag_marker(value, field="full"))  # the bare form is the right one


@pytest.mark.parametrize("value", ["1.0", "v1.2.3", "latest", "6.4.0-rc.1", "@", "${TAG}", "a b", "", ":", "/"])
def test_tags_and_other_values_are_not_references(value: str) -> None:
    assert not holds_full_reference(_tag_marker(value))
