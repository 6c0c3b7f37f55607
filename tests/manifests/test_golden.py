"""Golden before/after trees: the engine's output is compared with hand-written files, every byte."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from gitops_promotion.manifests import apply_edits, plan_edits, scan_markers
from gitops_promotion.manifests.markers import parse_file
from gitops_promotion.manifests.yamlnodes import Lines, _compose_pure, index_nodes

GOLDEN = Path(__file__).parent / "golden"
CASES = sorted(p.name for p in GOLDEN.iterdir() if p.is_dir())


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _params(case: str) -> dict[str, object]:
    params: dict[str, object] = json.loads((GOLDEN / case / "case.json").read_text())
    return params


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 20


@pytest.mark.parametrize("case", CASES)
def test_golden_case(case: str, tmp_path: Path) -> None:
    params = _params(case)
    repo = tmp_path / "repo"
    shutil.copytree(GOLDEN / case / "before", repo)
    before = _tree(repo)
    expected = _tree(GOLDEN / case / "after")
    assert before.keys() == expected.keys(), "before/ and after/ must hold the same files"

    paths = [repo / str(p) for p in params["paths"]]  # type: ignore[attr-defined]
    edits = plan_edits(
        paths,
        repo_root=repo,
        group=str(params["group"]),
        app=str(params["app"]),
        tag=str(params["tag"]),
        digest=params["digest"],  # type: ignore[arg-type]
    )
    assert _tree(repo) == before, "planning must not write"
    apply_edits(edits)

    assert _tree(repo) == expected
    changed = sorted(name for name in before if before[name] != expected[name])
    assert sorted(e.path.relative_to(repo).as_posix() for e in edits) == changed
    for edit in edits:
        assert edit.before == before[edit.path.relative_to(repo).as_posix()]
        assert edit.after == expected[edit.path.relative_to(repo).as_posix()]
        assert edit.markers, "an edit names the markers it changes"

    # Running again changes nothing: the promotion is idempotent.
    again = plan_edits(
        paths,
        repo_root=repo,
        group=str(params["group"]),
        app=str(params["app"]),
        tag=str(params["tag"]),
        digest=params["digest"],  # type: ignore[arg-type]
    )
    assert again == []


@pytest.mark.parametrize("case", CASES)
def test_golden_markers_read_back(case: str) -> None:
    """After the edit, every marker of the app reads back the promoted value (or is a :name/:digest one)."""
    params = _params(case)
    after = GOLDEN / case / "after"
    markers = [m for m in scan_markers([after], repo_root=after) if m.policy == "apps:podinfo"]
    assert markers
    for marker in markers:
        if marker.field == "tag":
            assert marker.value == params["tag"]
        elif marker.field == "full":
            assert f":{params['tag']}" in marker.value
            if params["digest"]:
                assert marker.value.endswith(f"@{params['digest']}")
            else:
                assert "@" not in marker.value


@pytest.mark.parametrize("case", CASES)
def test_pure_parser_agrees_with_libyaml(case: str) -> None:
    """The libyaml fast path and ruamel's pure parser give the same scalar offsets on every golden file."""
    for path in sorted((GOLDEN / case / "before").rglob("*")):
        if not path.is_file() or b'"$imagepolicy"' not in path.read_bytes():
            continue
        text = path.read_bytes().decode("utf-8-sig")
        lines = Lines(text)
        fast = parse_file(path.read_bytes(), path, path.name)
        pure = index_nodes(_compose_pure(text, path.name, lines), text, path.name, lines)
        pure_spans = {(s.start, s.end) for s in pure.scalars_on(0, len(text))}
        for site in fast.sites:
            assert (site.start, site.end) in pure_spans, (path, site)


def test_golden_files_kept_their_bytes() -> None:
    """Guard the fixtures themselves: CRLF and BOM must survive checkouts and editors (see .gitattributes)."""
    crlf = (GOLDEN / "crlf/before/apps/dev/deployment.yaml").read_bytes()
    assert crlf.count(b"\r\n") == crlf.count(b"\n") > 5
    assert (GOLDEN / "bom/before/apps/dev/deployment.yml").read_bytes().startswith(b"\xef\xbb\xbf")
