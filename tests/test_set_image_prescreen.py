"""set-image parses in full only files that may hold the target's marker (issue 17), through the real CLI.

The other candidates are still decoded and their marker comments checked, so a malformed marker or a file that
is not UTF-8 anywhere under the path fails the run as before (file:line, exit 2, nothing written).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

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


# Pieces of marker lines, valid and not: the fast path for the canonical comment must agree with the general one.
_PIECES = st.lists(
    st.sampled_from(
        [
            "image: x:1",
            " ",
            "\t",
            "#",
            "##",
            '"a # b"',
            '{"$imagepolicy": "apps:podinfo"}',
            '{"$imagepolicy": "apps:podinfo:tag"}',
            '{"$imagepolicy": "apps:podinfo:bogus"}',
            '{"$imagepolicy": "apps:other:digest"}',
            '{"$imagepolicy": "-apps:podinfo"}',
            '{"$imagepolicy":"apps:podinfo"}',
            '{ "$imagepolicy": "apps:podinfo" }',
            '{"$imagepolicy": "apps:podinfo", "x": 1}',
            '"$imagepolicy"',
            "}",
            "\r",
            "x",
        ]
    ),
    max_size=8,
)


def _reference(text: str, group: str, app: str) -> bool:
    """The general rule alone, line by line: any comment naming the target, or one a parse rejects."""
    from gitops_promotion.manifests.prescreen import _line_may_target

    return any(_line_may_target(line, "f.yaml", group, app) for line in text.split("\n") if '"$imagepolicy"' in line)


@given(lines=st.lists(_PIECES.map("".join), min_size=1, max_size=4))
@settings(max_examples=400, deadline=None)
def test_prescreen_fast_path_agrees_with_the_general_rule(lines: list[str]) -> None:
    from gitops_promotion.manifests.prescreen import may_target

    text = "\n".join(lines)
    for app in ("podinfo", "other"):
        assert may_target(text.encode(), "f.yaml", "apps", app) == _reference(text, "apps", app), (text, app)


@pytest.mark.parametrize(
    ("line", "group_app", "expected"),
    [
        ('  image: ghcr.io/x:1 # {"$imagepolicy": "apps:podinfo"}', ("apps", "podinfo"), True),
        ('  image: ghcr.io/x:1 # {"$imagepolicy": "apps:podinfo:tag"}\r', ("apps", "other"), False),
        ('  image: ghcr.io/x:1 # {"$imagepolicy": "apps:podinfo"}\r ', ("apps", "podinfo"), False),  # not a marker
        ('  image: ghcr.io/x:1 # {"$imagepolicy": "apps:podinfo"} \r\r', ("apps", "podinfo"), True),
        ('a: "x # {"$imagepolicy": "apps:podinfo"}', ("apps", "other"), False),
        ('  image: x:1 ## # {"$imagepolicy": "apps:other:name"}', ("apps", "other"), True),
        ('  image: x:1 # {"$imagepolicy": "apps:other:bogus"}', ("apps", "podinfo"), True),  # a parse rejects it
    ],
)
def test_prescreen_canonical_lines(line: str, group_app: tuple[str, str], expected: bool) -> None:
    from gitops_promotion.manifests.prescreen import may_target

    assert may_target(line.encode(), "f.yaml", *group_app) is expected
