"""Marker grammar (as Flux reads it), candidate discovery and the file writes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from gitops_promotion.manifests import (
    ImageRef,
    Marker,
    apply_edits,
    current_image,
    find_candidates,
    markers_in_bytes,
    plan_edits,
    scan_markers,
)
from tests.manifests.conftest import Write, snapshot

P = Path("f.yaml")


def _one(text: str) -> Marker:
    markers = markers_in_bytes(text.encode(), P)
    assert len(markers) == 1, markers
    return markers[0]


@pytest.mark.parametrize(
    ("comment", "field"),
    [
        ('# {"$imagepolicy": "apps:podinfo"}', "full"),
        ('# {"$imagepolicy": "apps:podinfo:tag"}', "tag"),
        ('# {"$imagepolicy": "apps:podinfo:name"}', "name"),
        ('# {"$imagepolicy": "apps:podinfo:digest"}', "digest"),
        ('#{"$imagepolicy":"apps:podinfo:tag"}', "tag"),
        ('##  {  "$imagepolicy"  :  "apps:podinfo:tag"  }  ', "tag"),
        ('# # {"$imagepolicy": "apps:podinfo:tag"}', "tag"),
        ('#\t{"$imagepolicy": "apps:podinfo:tag"}', "tag"),
    ],
)
def test_marker_forms(comment: str, field: str) -> None:
    marker = _one(f"a: x {comment}\n")
    assert (marker.namespace, marker.name, marker.field, marker.value, marker.line) == (
        "apps",
        "podinfo",
        field,
        "x",
        1,
    )
    assert marker.policy == "apps:podinfo"


@pytest.mark.parametrize(
    "comment",
    [
        '# bump {"$imagepolicy": "apps:podinfo"}',
        '# {"$imagepolicy": "apps:podinfo"} # and more',
        '# {"$imagepolicy": "apps:podinfo", "other": 1}',
        '# {"$imagepolicy": 1}',
        '# {"$imagepolicy": "apps:podinfo"',
        '# ["$imagepolicy", "apps:podinfo"]',
        '# {"$imagepolicy": "apps:podinfo"}}',
        '# {"$ImagePolicy": "apps:podinfo"}',
    ],
)
def test_not_markers(comment: str) -> None:
    assert markers_in_bytes(f"a: x {comment}\n".encode(), P) == []


def test_lines_and_values_across_styles() -> None:
    text = (
        "---\n"
        'a: plain # {"$imagepolicy": "g:a1:tag"}\r\n'
        'b: \'single\' # {"$imagepolicy": "g:a2:tag"}\r'
        'c: "dou\\"ble" # {"$imagepolicy": "g:a3:tag"}\n'
        'd: [x, {e: flow}] # {"$imagepolicy": "g:a4:tag"}\n'
        "---\n"
        '- seq # {"$imagepolicy": "g:a5:tag"}\n'
    )
    got = [(m.line, m.name, m.value) for m in markers_in_bytes(text.encode(), P)]
    assert got == [
        (2, "a1", "plain"),
        (3, "a2", "single"),
        (4, "a3", 'dou"ble'),
        (5, "a4", "flow"),
        (7, "a5", "seq"),
    ]


def test_bom_and_non_ascii_before_the_marker() -> None:
    text = '\ufeff# héllo wörld\nname: "ünïcode"\nimage: app:1 # {"$imagepolicy": "g:a"}\n'
    marker = _one(text)
    assert (marker.line, marker.value) == (3, "app:1")


def test_hash_inside_quoted_scalar_is_content() -> None:
    marker = _one('a: "v # {\\"$imagepolicy\\": \\"g:x\\"}" # {"$imagepolicy": "g:a:tag"}\n')
    assert marker.name == "a"


def test_marker_text_inside_block_scalar_is_content() -> None:
    text = 'notes: |\n  image: x # {"$imagepolicy": "g:a"}\nother: 1\n'
    assert markers_in_bytes(text.encode(), P) == []


def test_file_without_token_is_not_parsed() -> None:
    # Not YAML at all, but without the token the engine never looks at it.
    assert markers_in_bytes(b"\x00\xff: [", P) == []


def test_find_candidates_rules(write_tree: Write) -> None:
    marked = 'x: 1 # {"$imagepolicy": "g:a:tag"}\n'
    root = write_tree(
        {
            "b/deploy.yaml": marked,
            "a/values.yml": marked,
            "a/Kustomization": marked,
            "a/kustomization": marked,  # only the exact name counts
            "a/notes.txt": marked,
            "a/plain.yaml": "x: 1\n",
            "a/.hidden.yaml": marked,
            ".git/config.yaml": marked,
            "sub/.git": "gitdir: elsewhere\n",
        }
    )
    found = find_candidates([root], repo_root=root)
    assert [p.relative_to(root).as_posix() for p in found] == [
        "a/.hidden.yaml",
        "a/Kustomization",
        "a/values.yml",
        "b/deploy.yaml",
    ]
    # A file given by name obeys the same rule; overlapping roots give each file once.
    assert find_candidates([root / "a/notes.txt"], repo_root=root) == []
    again = find_candidates([root / "a", root, root / "a/values.yml"], repo_root=root)
    assert again == found


def test_symlinks_inside_the_repo_are_followed_once(write_tree: Write) -> None:
    marked = 'x: 1 # {"$imagepolicy": "g:a:tag"}\n'
    root = write_tree({"base/deploy.yaml": marked, "envs/dev/own.yaml": marked})
    (root / "envs/dev/base").symlink_to(root / "base")
    (root / "envs/dev/linked.yaml").symlink_to(root / "base/deploy.yaml")
    (root / "envs/dev/loop").symlink_to(root / "envs")
    found = [p.relative_to(root).as_posix() for p in find_candidates([root / "envs"], repo_root=root)]
    # envs/dev/base/deploy.yaml and envs/dev/linked.yaml are the same file: listed once.
    assert found == ["envs/dev/base/deploy.yaml", "envs/dev/own.yaml"]


def test_apply_writes_through_symlinks_and_keeps_mode(write_tree: Write) -> None:
    root = write_tree({"base/deploy.yaml": 'x: "1.0" # {"$imagepolicy": "g:a:tag"}\n'})
    target = root / "base/deploy.yaml"
    target.chmod(0o640)
    link = root / "env/deploy.yaml"
    link.parent.mkdir()
    link.symlink_to(target)
    edits = plan_edits([root / "env"], repo_root=root, group="g", app="a", tag="2.0")
    apply_edits(edits)
    assert link.is_symlink()
    assert target.read_text() == 'x: "2.0" # {"$imagepolicy": "g:a:tag"}\n'
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert sorted(p.name for p in target.parent.iterdir()) == ["deploy.yaml"]  # no temp file left behind


def test_planning_writes_nothing_and_unchanged_files_are_not_planned(write_tree: Write) -> None:
    root = write_tree(
        {
            "a.yaml": 'x: "2.0" # {"$imagepolicy": "g:a:tag"}\n',
            "b.yaml": 'x: "1.0" # {"$imagepolicy": "g:a:tag"}\n',
        }
    )
    before = snapshot(root)
    edits = plan_edits([root], repo_root=root, group="g", app="a", tag="2.0")
    assert [e.path.name for e in edits] == ["b.yaml"]
    assert [m.value for m in edits[0].markers] == ["1.0"]
    assert snapshot(root) == before


def test_scan_markers_in_order(write_tree: Write) -> None:
    root = write_tree(
        {
            "b.yaml": 'x: 1 # {"$imagepolicy": "g:b:tag"}\n',
            "a.yaml": 'x: 1 # {"$imagepolicy": "g:a:tag"}\ny: img:2 # {"$imagepolicy": "g:c"}\n',
        }
    )
    assert [(m.path.name, m.line, m.name) for m in scan_markers([root], repo_root=root)] == [
        ("a.yaml", 1, "a"),
        ("a.yaml", 2, "c"),
        ("b.yaml", 1, "b"),
    ]


def test_current_image(write_tree: Write) -> None:
    digest = "sha256:" + "c" * 64
    root = write_tree(
        {
            "dev/k.yaml": (
                'n: reg:5000/team/app # {"$imagepolicy": "g:a:name"}\n'
                't: "1.2" # {"$imagepolicy": "g:a:tag"}\n'
                f'd: {digest} # {{"$imagepolicy": "g:a:digest"}}\n'
            ),
            "qa/d.yaml": f'image: reg:5000/team/app:1.1@{digest} # {{"$imagepolicy": "g:a"}}\n',
            "qa/o.yaml": 'image: other:9 # {"$imagepolicy": "g:other"}\n',
        }
    )
    dev = current_image([root / "dev"], repo_root=root, group="g", app="a")
    assert dev == ImageRef("reg:5000/team/app", "1.2", digest)
    qa = current_image([root / "qa"], repo_root=root, group="g", app="a")
    assert qa == ImageRef("reg:5000/team/app", "1.1", digest)
    assert current_image([root / "qa"], repo_root=root, group="g", app="nope") is None
