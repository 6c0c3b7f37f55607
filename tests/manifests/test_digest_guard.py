"""The edit planner never keeps a `:digest` marker's old digest under a new tag (issue 14.1): without a digest it
refuses, naming the marker, unless the edit is a throw-away probe."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.errors import ManifestError
from gitops_promotion.manifests import plan_edits
from gitops_promotion.manifests.digests import app_image
from gitops_promotion.manifests.edit import load_files

OLD = "sha256:" + "1" * 64
VALUES = f"""\
image:
  repository: registry.example.test/team/web # {{"$imagepolicy": "apps:web:name"}}
  tag: 1.0.0 # {{"$imagepolicy": "apps:web:tag"}}
  digest: {OLD} # {{"$imagepolicy": "apps:web:digest"}}
"""


def test_a_digest_marker_without_a_digest_is_refused(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text(VALUES)
    with pytest.raises(ManifestError, match=r"^values\.yaml:4: apps:web:digest marker needs the digest of 1\.1\.0"):
        plan_edits([tmp_path], repo_root=tmp_path, group="apps", app="web", tag="1.1.0")
    # the same tag again is no excuse: the tag may have moved since the digest was written
    with pytest.raises(ManifestError, match="needs the digest"):
        plan_edits([tmp_path], repo_root=tmp_path, group="apps", app="web", tag="1.0.0")


def test_with_a_digest_or_as_a_probe_it_plans(tmp_path: Path) -> None:
    (tmp_path / "values.yaml").write_text(VALUES)
    new = "sha256:" + "2" * 64
    edits = plan_edits([tmp_path], repo_root=tmp_path, group="apps", app="web", tag="1.1.0", digest=new)
    assert edits[0].after.decode() == VALUES.replace("1.0.0", "1.1.0").replace(OLD, new)
    probe = plan_edits([tmp_path], repo_root=tmp_path, group="apps", app="web", tag="probe", probe=True)
    assert b"tag: probe" in probe[0].after
    # another app's digest marker does not stop this app
    (tmp_path / "other.yaml").write_text('image: registry.example.test/o:1 # {"$imagepolicy": "apps:other"}\n')
    other = plan_edits([tmp_path], repo_root=tmp_path, group="apps", app="other", tag="2")
    assert [edit.rel for edit in other] == ["other.yaml"]


def test_the_image_a_digest_belongs_to(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(VALUES)
    (tmp_path / "b.yaml").write_text('other: reg.example.test/x/y:1 # {"$imagepolicy": "apps:web:name"}\n')
    found = app_image(load_files([tmp_path], repo_root=tmp_path), "apps", "web")
    assert found.name == "registry.example.test/team/web"  # the `:name` in the digest's own file wins
    assert [item.where for item in found.digest_markers] == ["a.yaml:4"]
    (tmp_path / "a.yaml").write_text(VALUES.splitlines()[0] + "\n" + "\n".join(VALUES.splitlines()[2:]) + "\n")
    (tmp_path / "b.yaml").write_text('image: reg.example.test/x/y:1 # {"$imagepolicy": "apps:web"}\n')
    found = app_image(load_files([tmp_path], repo_root=tmp_path), "apps", "web")
    assert found.name == "reg.example.test/x/y"
