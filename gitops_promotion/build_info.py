"""The commit a copy of gitops-promotion was built from, for `--version`; looked up only when asked.

A release build writes gitops_promotion/_build_commit.py (COMMIT = "<sha>") before building the wheel and the
image. A git checkout (editable install, the GitHub Action's own copy) is read from its .git directly: no git
subprocess, so `--version` stays as fast as the rest of start-up.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

_SHA = re.compile(r"^[0-9a-f]{40}$")


def commit() -> str | None:
    """The 40-hex commit this copy was built from, or None when that is unknown."""
    try:
        module = importlib.import_module("gitops_promotion._build_commit")
    except ImportError:
        return git_head(Path(__file__).resolve().parent.parent)
    value = str(getattr(module, "COMMIT", ""))
    return value if _SHA.match(value) else None


def git_head(root: Path) -> str | None:
    """HEAD's commit of the checkout at ``root`` (a .git directory, or a worktree's .git file), read as files."""
    dot_git = root / ".git"
    if not (root / "pyproject.toml").is_file():
        return None  # an installed copy beside other packages, not this project's checkout
    try:
        if dot_git.is_file():
            pointer = dot_git.read_text(encoding="utf-8").strip()
            gitdir = (root / pointer.removeprefix("gitdir:").strip()).resolve()
        else:
            gitdir = dot_git
        common = gitdir
        if (gitdir / "commondir").is_file():
            common = (gitdir / (gitdir / "commondir").read_text(encoding="utf-8").strip()).resolve()
        head = (gitdir / "HEAD").read_text(encoding="utf-8").strip()
    except OSError:
        return None
    if _SHA.match(head):
        return head  # detached HEAD
    if not head.startswith("ref: "):
        return None
    return _resolve(head.removeprefix("ref: "), gitdir, common)


def _resolve(ref: str, gitdir: Path, common: Path) -> str | None:
    for base in (gitdir, common):
        loose = base / ref
        if loose.is_file():
            value = loose.read_text(encoding="utf-8").strip()
            return value if _SHA.match(value) else None
    try:
        packed = (common / "packed-refs").read_text(encoding="utf-8")
    except OSError:
        return None
    for line in packed.splitlines():
        sha, _, name = line.partition(" ")
        if name == ref and _SHA.match(sha):
            return sha
    return None


def describe(version: str) -> str:
    """The `--version` line: the version, and the commit when known."""
    sha = commit()
    line = f"gitops-promotion, version {version}"
    return f"{line} (commit {sha[:12]})" if sha else line
