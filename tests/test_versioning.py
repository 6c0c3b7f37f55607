"""One version (gitops_promotion.__version__), its CHANGELOG.md entry, the release-notes script the release
workflow runs, and `--version` naming the commit."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from gitops_promotion import __version__
from gitops_promotion.build_info import git_head

ROOT = Path(__file__).resolve().parent.parent
NOTES = ROOT / ".ci" / "release_notes.py"
CHANGELOG = (ROOT / "CHANGELOG.md").read_text()


def _git(cwd: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout.strip()


def _notes(tag: str, root: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(root / ".ci" / "release_notes.py"), tag], capture_output=True, text=True, check=False
    )


def test_the_version_is_semantic_and_pyproject_reads_it_from_the_package() -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+", __version__)
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = { attr = "gitops_promotion.__version__" }' in pyproject
    assert not re.search(r'^version = "', pyproject, re.MULTILINE)


def test_the_changelog_keeps_a_changelog() -> None:
    assert CHANGELOG.startswith("# Changelog\n")
    assert "## [Unreleased]\n" in CHANGELOG
    releases = re.findall(r"^## \[(\d+\.\d+\.\d+)\] - (\d{4}-\d{2}-\d{2})$", CHANGELOG, re.MULTILINE)
    versions = [tuple(int(p) for p in v.split(".")) for v, _ in releases]
    assert versions == sorted(versions, reverse=True), "newest release first"
    headings = re.findall(r"^### (.+)$", CHANGELOG, re.MULTILINE)
    assert set(headings) <= {"Added", "Changed", "Deprecated", "Removed", "Fixed", "Security"}
    for version, _ in releases:  # every release heading links to its tag
        assert f"[{version}]: https://github.com/" in CHANGELOG


def test_the_version_being_released_has_an_entry() -> None:
    proc = _notes(f"v{__version__}")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() and "## [" not in proc.stdout and "]: https://" not in proc.stdout


def test_a_tag_that_is_not_the_package_version_is_refused() -> None:
    proc = _notes("v99.0.0")
    assert proc.returncode == 1
    assert (
        proc.stderr.strip()
        == f"tag v99.0.0 does not match __version__ {__version__} (tag v{__version__}, or bump the version)"
    )


def test_a_version_without_a_changelog_entry_is_refused(tmp_path: Path) -> None:
    (tmp_path / ".ci").mkdir()
    shutil.copy2(NOTES, tmp_path / ".ci" / "release_notes.py")
    (tmp_path / "gitops_promotion").mkdir()
    (tmp_path / "gitops_promotion" / "__init__.py").write_text('__version__ = "9.9.9"\n')
    (tmp_path / "CHANGELOG.md").write_text(CHANGELOG)
    proc = _notes("v9.9.9", tmp_path)
    assert proc.returncode == 1
    assert proc.stderr.strip() == "CHANGELOG.md: no entry '## [9.9.9] - YYYY-MM-DD'; add the release notes first"


# -- --version and the commit -----------------------------------------------------------------------------
@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "checkout"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    (repo / "pyproject.toml").write_text("[project]\nname = 'gitops-promotion'\n")
    _git(repo, "add", ".")
    _git(repo, "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "one")
    return repo


def test_git_head_reads_a_branch_a_packed_ref_and_a_detached_head(checkout: Path) -> None:
    head = _git(checkout, "rev-parse", "HEAD")
    assert git_head(checkout) == head
    _git(checkout, "pack-refs", "--all")
    assert not (checkout / ".git/refs/heads/main").exists()
    assert git_head(checkout) == head
    _git(checkout, "checkout", "-q", "--detach")
    assert git_head(checkout) == head


def test_git_head_reads_a_worktree(checkout: Path, tmp_path: Path) -> None:
    _git(checkout, "worktree", "add", "-q", "-b", "side", str(tmp_path / "side"))
    assert (tmp_path / "side" / ".git").is_file()
    assert git_head(tmp_path / "side") == _git(checkout, "rev-parse", "HEAD")


def test_git_head_ignores_a_directory_that_is_not_the_project(tmp_path: Path) -> None:
    _git(tmp_path, "init", "-q")
    assert git_head(tmp_path) is None


def test_version_from_the_checkout_names_its_commit() -> None:
    """The real CLI, from this checkout (the editable install and the GitHub Action run it this way)."""
    proc = subprocess.run(
        [sys.executable, "-I", "-m", "gitops_promotion", "--version"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    head = _git(ROOT, "rev-parse", "HEAD")
    assert proc.stdout == f"gitops-promotion, version {__version__} (commit {head[:12]})\n"
