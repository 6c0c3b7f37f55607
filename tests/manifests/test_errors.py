"""Everything the engine refuses: each error names file and line, and nothing is written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops_promotion.errors import ManifestError, UsageError
from gitops_promotion.manifests import apply_edits, find_candidates, markers_in_bytes, plan_edits, scan_markers
from gitops_promotion.manifests.markers import MAX_BYTES
from tests.manifests.conftest import Write, snapshot

MT = '# {"$imagepolicy": "apps:podinfo:tag"}'
GOOD = f"tag: 1.0.0 {MT}\n"


def _plan(root: Path, sub: str = "apps") -> None:
    plan_edits([root / sub], repo_root=root, group="apps", app="podinfo", tag="2.0.0")


def test_invalid_yaml_names_file_and_line(write_tree: Write) -> None:
    root = write_tree({"apps/dev/a.yaml": f"a: 1 {MT}\nb: [1, 2\nc: 3\n"})
    with pytest.raises(ManifestError) as info:
        _plan(root)
    assert str(info.value).startswith("apps/dev/a.yaml:")
    assert "invalid YAML" in str(info.value)
    assert info.value.file == "apps/dev/a.yaml"
    assert info.value.line in (2, 3, 4)
    assert info.value.exit_code == 2


def test_invalid_yaml_line_is_exact(write_tree: Write) -> None:
    root = write_tree({"apps/a.yaml": f"a: 1 {MT}\nb: 2\n  c: 3\n"})
    with pytest.raises(ManifestError, match=r"^apps/a\.yaml:3: invalid YAML: mapping values are not allowed"):
        _plan(root)


def test_one_bad_file_among_many_writes_nothing(write_tree: Write) -> None:
    files: dict[str, str | bytes] = {f"apps/env{i}/deploy.yaml": GOOD for i in range(20)}
    files["apps/env7/broken.yaml"] = f"x: 1 {MT}\n\ty: [\n"
    root = write_tree(files)
    before = snapshot(root)
    with pytest.raises(ManifestError, match=r"apps/env7/broken\.yaml:\d+: invalid YAML"):
        _plan(root)
    assert snapshot(root) == before


def test_file_changed_after_planning_writes_nothing(write_tree: Write) -> None:
    root = write_tree({"apps/a.yaml": GOOD, "apps/b.yaml": GOOD})
    edits = plan_edits([root / "apps"], repo_root=root, group="apps", app="podinfo", tag="2.0.0")
    assert len(edits) == 2
    (root / "apps/b.yaml").write_text(GOOD + "# edited by someone else\n")
    before = snapshot(root)
    with pytest.raises(ManifestError, match=r"apps/b\.yaml: changed on disk since the edit was planned"):
        apply_edits(edits)
    assert snapshot(root) == before


def test_symlinked_directory_out_of_repo(write_tree: Write, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "x.yaml").write_text(GOOD)
    root = write_tree({"apps/dev/a.yaml": GOOD})
    (root / "apps/dev/shared").symlink_to(outside)
    with pytest.raises(ManifestError, match=r"^apps/dev/shared: is a symlink to .*outside the repository"):
        _plan(root)


def test_symlinked_file_out_of_repo(write_tree: Write, tmp_path: Path) -> None:
    outside = tmp_path / "secret.yaml"
    outside.write_text(GOOD)
    root = write_tree({"apps/dev/a.yaml": GOOD})
    (root / "apps/dev/b.yaml").symlink_to(outside)
    before = outside.read_bytes()
    with pytest.raises(ManifestError, match=r"apps/dev/b\.yaml: is a symlink to .*outside the repository"):
        _plan(root)
    assert outside.read_bytes() == before


def test_dangling_symlink_out_of_repo_is_reported(write_tree: Write, tmp_path: Path) -> None:
    root = write_tree({"apps/dev/a.yaml": GOOD})
    (root / "apps/dev/gone.yaml").symlink_to(tmp_path / "nowhere.yaml")
    with pytest.raises(ManifestError, match=r"apps/dev/gone\.yaml: is a symlink to"):
        _plan(root)


def test_given_path_outside_repo(write_tree: Write, tmp_path: Path) -> None:
    root = write_tree({"apps/a.yaml": GOOD})
    other = tmp_path / "elsewhere"
    other.mkdir()
    with pytest.raises(ManifestError, match="outside the repository"):
        find_candidates([other], repo_root=root)


def test_missing_path(write_tree: Write) -> None:
    root = write_tree({"apps/a.yaml": GOOD})
    with pytest.raises(ManifestError, match=r"^apps/nope: No such file or directory"):
        find_candidates([root / "apps/nope"], repo_root=root)


@pytest.mark.parametrize(
    ("text", "line", "what"),
    [
        (f"image: {MT}\n  name: x\n  tag: y\n", 1, "a mapping"),
        (f"images: {MT}\n  - a\n  - b\n", 1, "a sequence"),
        (f"images: {MT}\n- a\n", 1, "a sequence"),
        (f"list:\n  - {MT}\n    name: x\n", 2, "a mapping"),
        (f"a: [] {MT}\n", 1, "a sequence"),
        (f"a: {{}} {MT}\n", 1, "a mapping"),
        (f"- [] {MT}\n", 1, "a sequence"),
        (f"notes: | {MT}\n  text\n", 1, "a block scalar"),
        (f"notes: >- {MT}\n  text\n", 1, "a block scalar"),
        (f"- | {MT}\n  text\n", 1, "a block scalar"),
        (f"tag: {MT}\nnext: 1\n", 1, "an empty value"),
        (f"x: &t 1.0\ntag: *t {MT}\n", 2, "an alias"),
        (f"- &t 1\n- *t {MT}\n", 2, "an alias"),
        (f"key: {MT}\n  1.0.0\n", 1, "the key 'key' whose value is on a later line"),
    ],
)
def test_marker_on_something_that_is_not_a_scalar(text: str, line: int, what: str) -> None:
    with pytest.raises(ManifestError) as info:
        markers_in_bytes(text.encode(), Path("m.yaml"))
    assert str(info.value) == (
        f"m.yaml:{line}: $imagepolicy marker on {what}; it must follow a scalar value on the same line"
    )
    assert info.value.line == line


def test_no_marker_for_app_lists_what_was_found(write_tree: Write) -> None:
    root = write_tree(
        {
            "apps/dev/x.yaml": '\nimage: a:1 # {"$imagepolicy": "apps:other"}\n',
            "apps/dev/y.yaml": (
                'tag: "1" # {"$imagepolicy": "infra:podinfo:tag"}\nt: 2 # {"$imagepolicy": "apps:other:tag"}\n'
            ),
            "apps/qa/z.yaml": GOOD,
        }
    )
    with pytest.raises(ManifestError) as info:
        plan_edits([root / "apps/dev"], repo_root=root, group="apps", app="podinfo", tag="2.0.0")
    assert str(info.value) == (
        "no marker for apps:podinfo under apps/dev; "
        "found: apps:other (apps/dev/x.yaml:2), infra:podinfo (apps/dev/y.yaml:1)"
    )


def test_no_marker_at_all(write_tree: Write) -> None:
    root = write_tree({"apps/dev/x.yaml": "a: 1\n"})
    pattern = r"^no marker for apps:podinfo under apps/dev; found no \$imagepolicy"
    with pytest.raises(ManifestError, match=pattern):
        plan_edits([root / "apps/dev"], repo_root=root, group="apps", app="podinfo", tag="2.0.0")


def test_no_marker_listing_is_capped(write_tree: Write) -> None:
    files: dict[str, str | bytes] = {
        f"apps/a{i:02}.yaml": f'x: 1 # {{"$imagepolicy": "apps:app{i:02}:tag"}}\n' for i in range(15)
    }
    root = write_tree(files)
    with pytest.raises(ManifestError, match=r"apps:app09 \(apps/a09\.yaml:1\), and 5 more$"):
        _plan(root)


def test_binary_file_with_token_is_an_error(write_tree: Write) -> None:
    root = write_tree({"apps/a.yaml": GOOD, "apps/blob.yaml": b"\x00\x01" + MT.encode() + b"\n"})
    with pytest.raises(ManifestError, match=r"^apps/blob\.yaml:1: binary file"):
        _plan(root)


def test_binary_file_without_token_is_not_a_candidate(write_tree: Write) -> None:
    root = write_tree({"apps/a.yaml": GOOD, "apps/blob.yaml": bytes(range(256)) * 4})
    assert find_candidates([root / "apps"], repo_root=root) == [root / "apps/a.yaml"]
    _plan(root)


def test_non_utf8_file_with_token_is_an_error(write_tree: Write) -> None:
    root = write_tree({"apps/latin1.yaml": "a: 1\nb: caf\xe9 ".encode("latin-1") + MT.encode() + b"\n"})
    with pytest.raises(ManifestError, match=r"^apps/latin1\.yaml:2: not UTF-8"):
        _plan(root)


def test_huge_file_with_token_is_an_error(write_tree: Write) -> None:
    filler = b"# " + b"x" * 1022 + b"\n"
    big = filler * (MAX_BYTES // len(filler) + 2) + GOOD.encode()
    root = write_tree({"apps/a.yaml": GOOD, "apps/huge.yaml": big})
    with pytest.raises(ManifestError, match=r"^apps/huge\.yaml:1: file is too large to edit"):
        _plan(root)


def test_huge_file_without_token_is_skipped(write_tree: Write) -> None:
    filler = b"# " + b"x" * 1022 + b"\n"
    root = write_tree({"apps/a.yaml": GOOD, "apps/huge.yaml": filler * (MAX_BYTES // len(filler) + 2)})
    assert find_candidates([root / "apps"], repo_root=root) == [root / "apps/a.yaml"]


def test_invalid_policy_reference(write_tree: Write) -> None:
    root = write_tree({"apps/a.yaml": 'x: 1 # {"$imagepolicy": "apps:podinfo:tags"}\n'})
    pattern = r"^apps/a\.yaml:1: invalid \$imagepolicy reference 'apps:podinfo:tags'"
    with pytest.raises(ManifestError, match=pattern):
        _plan(root)


def test_duplicate_key(write_tree: Write) -> None:
    root = write_tree({"apps/a.yaml": f"metadata:\n  name: a\n  tag: 1 {MT}\n  name: b\n"})
    with pytest.raises(ManifestError, match=r"^apps/a\.yaml:4: duplicate key 'name'$"):
        _plan(root)


def test_merge_keys_are_not_duplicates(write_tree: Write) -> None:
    text = f"base: &b {{x: 1}}\nother: &o {{y: 1}}\nm:\n  <<: *b\n  <<: *o\n  t: 1 {MT}\n"
    root = write_tree({"apps/a.yaml": text})
    _plan(root)


def test_special_files_named_like_manifests_are_not_opened(write_tree: Write) -> None:
    root = write_tree({"apps/a.yaml": GOOD})
    os.mkfifo(root / "apps" / "pipe.yaml")  # opening a FIFO for reading would block forever
    assert find_candidates([root / "apps"], repo_root=root) == [root / "apps/a.yaml"]


def test_scan_markers_raises_on_any_invalid_candidate(write_tree: Write) -> None:
    root = write_tree({"apps/a.yaml": GOOD, "apps/b.yaml": f"[{MT}\n"})
    with pytest.raises(ManifestError, match=r"^apps/b\.yaml:"):
        scan_markers([root], repo_root=root)


def test_errors_are_usage_errors() -> None:
    assert issubclass(ManifestError, UsageError)


def test_invalid_yaml_without_a_marker_is_never_parsed(write_tree: Write) -> None:
    # Not a candidate (no token), so its broken YAML is none of our business, as with Flux.
    root = write_tree({"apps/a.yaml": GOOD, "apps/broken.yaml": "a: [\n  b: {\n"})
    edits = plan_edits([root / "apps"], repo_root=root, group="apps", app="podinfo", tag="2.0.0")
    assert [e.path.name for e in edits] == ["a.yaml"]
