"""set-image on a real, dirty git worktree and on a plain directory, through the CLI in its own process.

What the command sees is the files on disk, whatever git knows of them: untracked, modified, ignored and
deleted manifests count exactly as they are in the worktree (a user runs it before committing). Any faster
way of finding candidates (issue 17) must keep this.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from gitops_promotion.manifests.scan import read_candidate_names, relative, relative_to
from tests.conftest import git

MARK = '# {"$imagepolicy": "apps:podinfo:tag"}'
OTHER = 'image: ghcr.io/org/other:1.0.0 # {"$imagepolicy": "apps:other"}\n'


def _tag(value: str) -> str:
    return f"spec:\n  tag: {value} {MARK}\n"


def _cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    argv = [sys.executable, "-m", "gitops_promotion", "set-image", "--group", "apps", "--app", "podinfo", *args]
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, check=False, env=os.environ.copy())


def _tree(root: Path) -> None:
    for env in ("dev", "qa"):
        (root / "apps" / env).mkdir(parents=True)
        (root / "apps" / env / "tag.yaml").write_text(_tag("1.0.0"))
        (root / "apps" / env / "other.yaml").write_text(OTHER)
    (root / "apps/dev/plain.yaml").write_text("kind: ConfigMap\n")


@pytest.fixture
def dirty(tmp_path: Path) -> Path:
    """A committed tree, then: an untracked, a modified, an ignored and a deleted manifest."""
    root = tmp_path / "repo"
    _tree(root)
    (root / ".gitignore").write_text("ignored/\n")
    git(tmp_path, "init", "-q", "-b", "main", str(root))
    git(root, "add", "-A")
    git(root, "commit", "-q", "-m", "init")
    (root / "apps/dev/new.yaml").write_text(_tag("0.9.0"))  # untracked
    (root / "apps/dev/plain.yaml").write_text(f"kind: ConfigMap\ndata:\n  v: 1.0.0 {MARK}\n")  # modified: marker added
    (root / "apps/qa/tag.yaml").write_text(_tag("1.0.1"))  # modified: other value
    (root / "apps/qa/other.yaml").unlink()  # deleted in the worktree
    (root / "ignored").mkdir()
    (root / "ignored/x.yaml").write_text(_tag("1.0.0"))  # ignored by git, still a file under the path
    git(root, "add", "apps/qa/tag.yaml")  # staged, and then changed again below
    (root / "apps/qa/tag.yaml").write_text(_tag("1.0.2"))
    return root


def test_dirty_worktree_is_read_as_it_is_on_disk(dirty: Path) -> None:
    proc = _cli(dirty, "--tag", "2.0.0", ".")
    assert proc.returncode == 0, proc.stderr
    changed = ["apps/dev/new.yaml", "apps/dev/plain.yaml", "apps/dev/tag.yaml", "apps/qa/tag.yaml", "ignored/x.yaml"]
    assert proc.stdout.split() == changed
    for name in changed:
        assert f"tag: 2.0.0 {MARK}" in (dirty / name).read_text() or f"v: 2.0.0 {MARK}" in (dirty / name).read_text()
    assert (dirty / "apps/dev/other.yaml").read_text() == OTHER
    status = git(dirty, "status", "--porcelain")
    assert "?? apps/dev/new.yaml" in status
    assert " D apps/qa/other.yaml" in status


def test_untracked_file_with_a_bad_marker_fails_the_run(dirty: Path) -> None:
    (dirty / "apps/qa/broken.yaml").write_text('x: 1 # {"$imagepolicy": "apps:other:bogus"}\n')
    before = {p: p.read_bytes() for p in dirty.rglob("*.yaml")}
    proc = _cli(dirty, "--tag", "2.0.0", "apps")
    assert proc.returncode == 2
    assert proc.stderr.strip().endswith(
        "apps/qa/broken.yaml:1: invalid $imagepolicy reference 'apps:other:bogus' "
        "(expected <namespace>:<name> or <namespace>:<name>:tag|name|digest)"
    ), proc.stderr
    assert {p: p.read_bytes() for p in dirty.rglob("*.yaml")} == before


def test_plain_directory_without_git(tmp_path: Path) -> None:
    root = tmp_path / "plain"
    _tree(root)
    proc = _cli(root / "apps", "--tag", "2.0.0", "dev", "qa/tag.yaml")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["dev/tag.yaml", "qa/tag.yaml"]
    assert (root / "apps/qa/tag.yaml").read_text() == _tag("2.0.0")


def test_nothing_to_do_on_a_dirty_tree_when_the_disk_already_says_so(dirty: Path) -> None:
    for name in ("apps/dev/new.yaml", "apps/dev/tag.yaml", "apps/qa/tag.yaml", "ignored/x.yaml"):
        (dirty / name).write_text(_tag("3.0.0"))
    (dirty / "apps/dev/plain.yaml").write_text("kind: ConfigMap\n")  # the committed marker-less content
    proc = _cli(dirty, "--tag", "3.0.0", ".")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""


@pytest.mark.parametrize(
    ("root", "name"),
    [
        ("/r", "/r/a/b.yaml"),
        ("/r/", "/r/a/b.yaml"),
        ("/r/./", "/r/a.yaml"),
        ("/", "/a/b.yaml"),
        ("/r", "/r/..a/b.yaml"),  # relpath starts with "..": the path as given, as relative() says
        ("/r", "/rx/b.yaml"),
        ("/r/s", "/r/b.yaml"),
    ],
)
def test_relative_to_agrees_with_relative(root: str, name: str) -> None:
    assert relative_to(root)(name) == relative(name, root)


def test_candidate_names_are_normalised_absolute_paths(dirty: Path) -> None:
    names = [name for name, _data in read_candidate_names([dirty / "apps" / ".." / "apps"], repo_root=dirty)]
    assert names == [os.path.normpath(name) for name in names]
    assert all(Path(name).is_absolute() for name in names)


def test_write_goes_around_a_leftover_temp_file(tmp_path: Path) -> None:
    from gitops_promotion.manifests import apply_edits, plan_edits

    target = tmp_path / "tag.yaml"
    target.write_text(_tag("1.0.0"))
    target.chmod(0o640)
    leftovers = [tmp_path / f".tag.yaml.{os.getpid()}.{n}.tmp" for n in (0, 1)]
    for leftover in leftovers:
        leftover.write_text("a killed run's")
    apply_edits(plan_edits([tmp_path], repo_root=tmp_path, group="apps", app="podinfo", tag="2.0.0"))
    assert target.read_text() == _tag("2.0.0")
    assert target.stat().st_mode & 0o777 == 0o640
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([target.name, *(p.name for p in leftovers)])
    assert all(p.read_text() == "a killed run's" for p in leftovers)
