"""Real git work in the fake Azure DevOps' bare repository: ref reads and PR completions as true merges."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

# A fixed service identity and clock so merge commits are reproducible.
_ENV = {
    "GIT_AUTHOR_NAME": "Azure DevOps",
    "GIT_AUTHOR_EMAIL": "azuredevops@example.invalid",
    "GIT_COMMITTER_NAME": "Azure DevOps",
    "GIT_COMMITTER_EMAIL": "azuredevops@example.invalid",
}


class MergeConflictError(Exception):
    """The source branch does not merge cleanly into the target."""


class BareRepo:
    def __init__(self, path: Path) -> None:
        self.path = path

    def git(self, *args: str, env: dict[str, str] | None = None) -> str:
        done = subprocess.run(
            ["git", "-C", str(self.path), *args],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **_ENV, **(env or {})},
        )
        if done.returncode != 0:
            msg = f"git {' '.join(args)}: {done.stderr.strip() or done.stdout.strip()}"
            raise RuntimeError(msg)
        return done.stdout.strip()

    def ref(self, ref: str) -> str | None:
        """The commit a ref points at, or None when it does not exist."""
        try:
            return self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
        except RuntimeError:
            return None

    def merge_tree(self, base: str, head: str) -> str:
        try:
            return self.git("merge-tree", "--write-tree", base, head).splitlines()[0]
        except RuntimeError as exc:
            raise MergeConflictError(str(exc)) from None

    def _rebase(self, target: str, source: str) -> str:
        """Replay the source's own commits onto the target, keeping each author and message."""
        commits = self.git("rev-list", "--reverse", "--topo-order", f"{target}..{source}").split()
        tip = target
        for commit in commits:
            # Two-way merge-tree uses the fork point as base; the commits already replayed onto ``tip`` are
            # the same changes on both sides, so this applies exactly ``commit``'s own change (git 2.38+).
            tree = self.merge_tree(tip, commit)
            fmt = self.git("log", "-1", "--format=%an%x00%ae%x00%aI%x00%B", commit).split("\0", 3)
            env = {"GIT_AUTHOR_NAME": fmt[0], "GIT_AUTHOR_EMAIL": fmt[1], "GIT_AUTHOR_DATE": fmt[2]}
            tip = self.git("commit-tree", tree, "-p", tip, "-m", fmt[3].rstrip("\n") or "(no message)", env=env)
        return tip

    def complete(self, target_ref: str, source_ref: str, strategy: str, message: str) -> str:
        """Land ``source_ref`` on ``target_ref`` the way Azure DevOps does for ``strategy``; the new tip."""
        target = self.ref(target_ref)
        source = self.ref(source_ref)
        if target is None or source is None:
            msg = f"missing ref {target_ref if target is None else source_ref}"
            raise MergeConflictError(msg)
        if strategy == "rebase":
            tip = self._rebase(target, source)
        else:
            tree = self.merge_tree(target, source)
            parents = ["-p", target] if strategy == "squash" else ["-p", target, "-p", source]
            tip = self.git("commit-tree", tree, *parents, "-m", message)
        self.git("update-ref", target_ref, tip, target)
        return tip

    def delete(self, ref: str) -> None:
        self.git("update-ref", "-d", ref)
