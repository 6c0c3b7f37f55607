"""set-image parses in full only files that may hold the target's marker (issue 17), through the real CLI.

The other candidates are still decoded and their marker comments checked, so a malformed marker or a file that
is not UTF-8 anywhere under the path fails the run as before (file:line, exit 2, nothing written).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.cli import main

TARGET = 'image: ghcr.io/org/podinfo:1.0.0 # {"$imagepolicy": "apps:podinfo"}\n'
# A '#' inside a quoted scalar before the marker: the pre-screen must not be fooled into skipping the file.
HASHED = 'note: "a # b"\nimage: ghcr.io/org/podinfo:1.0.0 # {"$imagepolicy": "apps:podinfo"}\n'
OTHER_BROKEN_YAML = 'a: [ # {"$imagepolicy": "apps:other:tag"}\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    (root / "apps").mkdir()
    (root / "apps/target.yaml").write_text(TARGET)
    (root / "apps/hashed.yaml").write_text(HASHED)
    return root


def run(repo: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["set-image", "--group", "apps", "--app", "podinfo", "--tag", "2.0.0", str(repo / "apps")])
    out, err = capsys.readouterr()
    return code, out + err


def test_unrelated_file_is_not_composed(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "apps/other.yaml").write_text(OTHER_BROKEN_YAML)
    code, out = run(repo, capsys)
    assert code == 0, out
    assert (repo / "apps/target.yaml").read_text() == TARGET.replace("1.0.0", "2.0.0")
    assert (repo / "apps/hashed.yaml").read_text() == HASHED.replace("1.0.0", "2.0.0")
    assert (repo / "apps/other.yaml").read_text() == OTHER_BROKEN_YAML


def test_target_file_with_broken_yaml_still_fails(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (repo / "apps/bad.yaml").write_text('a: [ # {"$imagepolicy": "apps:podinfo:tag"}\n')
    code, out = run(repo, capsys)
    assert code == 2
    assert "apps/bad.yaml:2: invalid YAML" in out
    assert (repo / "apps/target.yaml").read_text() == TARGET


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (
            'x: 1 # {"$imagepolicy": "apps:other:bogus"}\n',
            "apps/other.yaml:1: invalid $imagepolicy reference 'apps:other:bogus'",
        ),
        (b'x: "\xff" # {"$imagepolicy": "apps:other"}\n', "apps/other.yaml:1: not UTF-8"),
    ],
)
def test_unrelated_file_with_a_bad_marker_fails(
    repo: Path, capsys: pytest.CaptureFixture[str], content: str | bytes, message: str
) -> None:
    path = repo / "apps/other.yaml"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    code, out = run(repo, capsys)
    assert code == 2
    assert message in out
    assert (repo / "apps/target.yaml").read_text() == TARGET
