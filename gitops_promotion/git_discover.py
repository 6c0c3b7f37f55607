"""Opening a checkout: the one `git rev-parse` that finds its top and what every command asks first."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from gitops_promotion.errors import UsageError


def discover(root: Path, remote: str) -> tuple[Path, str | None, str | None]:
    """The top of the checkout that holds ``root``, its HEAD commit and the branch ``refs/remotes/<remote>/HEAD``
    names (None: unborn HEAD, no such symref, anything unclear: asked again when needed); a usage error for a bare
    repository or none at all. One process: the look-ups every command makes first, each asked once."""
    origin_head = f"refs/remotes/{remote}/HEAD"
    try:
        proc = subprocess.run(
            [
                "git",
                "rev-parse",
                "--is-bare-repository",
                "--show-toplevel",
                "HEAD",
                "--symbolic-full-name",
                origin_head,
            ],
            cwd=root,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            check=False,
            env={**os.environ, "LC_ALL": "C"},
        )
    except (FileNotFoundError, NotADirectoryError):
        proc = None
    lines = proc.stdout.decode(errors="replace").splitlines() if proc is not None else []
    if lines[:1] == ["true"]:
        msg = f"--sourcedir {root}: is a bare repository; run in a checkout"
        raise UsageError(msg)
    # An unborn HEAD or a missing remote HEAD fails that argument only, after the answers before it are out.
    if proc is None or lines[:1] != ["false"] or len(lines) < 2:
        msg = f"--sourcedir {root}: not a git repository"
        raise UsageError(msg)
    if proc.returncode != 0 or len(lines) != 4 or not re.fullmatch(r"[0-9a-f]{40,64}", lines[2]):
        return Path(lines[1]), None, None
    # A symref prints its target; the ref itself (not a symref) is left to `git symbolic-ref` to judge.
    target = lines[3] if lines[3].startswith(f"refs/remotes/{remote}/") and lines[3] != origin_head else None
    return Path(lines[1]), lines[2], target
