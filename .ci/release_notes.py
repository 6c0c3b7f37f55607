"""Check that a release tag matches the package version and print that version's notes from CHANGELOG.md.

    python .ci/release_notes.py v1.2.3 > notes.md

Exit 1 with a one-line reason when the tag is not v<__version__>, or CHANGELOG.md has no dated entry for it
(Keep a Changelog: `## [1.2.3] - 2026-12-02`). Standard library only: it runs before anything is installed.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_VERSION = re.compile(r'^__version__ = "([^"]+)"$', re.MULTILINE)
_SEMVER = re.compile(r"^\d+\.\d+\.\d+(?:(?:a|b|rc)\d+)?$")


class ReleaseError(Exception):
    """Why this tag cannot be released (one line)."""


def package_version(root: Path = ROOT) -> str:
    """__version__ as written in gitops_promotion/__init__.py (read as text: nothing is imported)."""
    found = _VERSION.search((root / "gitops_promotion" / "__init__.py").read_text(encoding="utf-8"))
    if found is None:
        raise ReleaseError("gitops_promotion/__init__.py: no __version__ line")
    return found.group(1)


def notes(changelog: str, version: str) -> str:
    """The body of ``## [version] - date``, up to the next release heading or the link references."""
    heading = re.compile(rf"^## \[{re.escape(version)}\] - \d{{4}}-\d{{2}}-\d{{2}}$", re.MULTILINE)
    found = heading.search(changelog)
    if found is None:
        raise ReleaseError(f"CHANGELOG.md: no entry '## [{version}] - YYYY-MM-DD'; add the release notes first")
    rest = changelog[found.end() :]
    end = re.search(r"^(## \[|\[[^\]]+\]: )", rest, re.MULTILINE)
    body = (rest[: end.start()] if end else rest).strip()
    if not body:
        raise ReleaseError(f"CHANGELOG.md: the entry for {version} is empty")
    return body + "\n"


def check(tag: str, root: Path = ROOT) -> str:
    """The notes to publish for ``tag``; ReleaseError when the tag, the version or the changelog disagree."""
    version = package_version(root)
    if not _SEMVER.match(version):
        raise ReleaseError(f"gitops_promotion/__init__.py: __version__ {version!r} is not a semantic version")
    if tag != f"v{version}":
        raise ReleaseError(f"tag {tag} does not match __version__ {version} (tag v{version}, or bump the version)")
    return notes((root / "CHANGELOG.md").read_text(encoding="utf-8"), version)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: release_notes.py vX.Y.Z\n")
        return 2
    try:
        sys.stdout.write(check(argv[0]))
    except ReleaseError as error:
        sys.stderr.write(f"{error}\n")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
