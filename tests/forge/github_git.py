"""Real git operations on the fake's bare repository: ref reads and server-side merges (no work tree)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

_BOT = {
    "GIT_AUTHOR_NAME": "GitHub",
    "GIT_AUTHOR_EMAIL": "noreply@github.invalid",
    "GIT_COMMITTER_NAME": "GitHub",
    "GIT_COMMITTER_EMAIL": "noreply@github.invalid",
}


_REJECT_HOOK = """#!/bin/sh
left=$(cat reject-pushes 2>/dev/null || echo 0)
if [ "$left" -gt 0 ]; then
  echo $((left - 1)) > reject-pushes
  echo "simulated rejection by the fake forge" >&2
  exit 1
fi
"""


class MergeConflictError(Exception):
    """The head branch does not merge cleanly into the base branch."""


class BareRepo:
    """A bare repository the fake forge serves; merges are computed with `git merge-tree --write-tree`."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._heads: dict[str, str] | None = None  # branch -> commit, read once per request (see snapshot)
        self._in_snapshot = False

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Within one request, read every branch head with one `for-each-ref` on first use, not one `rev-parse`
        per pull request (50 open PRs made a listing spawn 100 processes). The fake's own ref write drops it."""
        self._in_snapshot, self._heads = True, None
        try:
            yield
        finally:
            self._in_snapshot, self._heads = False, None

    def git(self, *args: str, env: dict[str, str] | None = None, check: bool = True) -> str:
        if args[0] == "update-ref":
            self._heads = None
        done = subprocess.run(
            ["git", "--git-dir", str(self.path), *args],
            capture_output=True,
            text=True,
            check=False,
            env={**os.environ, **(env or {})},
        )
        if check and done.returncode != 0:
            msg = f"git {' '.join(args)}: {done.stderr.strip()}"
            raise RuntimeError(msg)
        return done.stdout.strip()

    def reject_pushes(self, count: int) -> None:
        """Make the next ``count`` pushes fail in a pre-receive hook, as a busy or protected remote would."""
        (self.path / "reject-pushes").write_text(str(count), encoding="utf-8")
        hook = self.path / "hooks" / "pre-receive"
        hook.write_text(_REJECT_HOOK, encoding="utf-8")
        hook.chmod(0o755)

    def pushes_left_to_reject(self) -> int:
        marker = self.path / "reject-pushes"
        return int(marker.read_text(encoding="utf-8")) if marker.exists() else 0

    def sha(self, branch: str) -> str | None:
        if self._in_snapshot:
            if self._heads is None:
                listed = self.git("for-each-ref", "--format=%(objectname) %(refname)", "refs/heads/")
                pairs = (line.split(" ", 1) for line in listed.splitlines())
                self._heads = {ref.removeprefix("refs/heads/"): sha for sha, ref in pairs}
            return self._heads.get(branch)
        out = self.git("rev-parse", "--verify", "--quiet", f"refs/heads/{branch}^{{commit}}", check=False)
        return out or None

    def default_branch(self) -> str:
        return self.git("symbolic-ref", "--short", "HEAD")

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        done = subprocess.run(
            ["git", "--git-dir", str(self.path), "merge-base", "--is-ancestor", ancestor, descendant],
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def commits_between(self, base: str, head: str) -> list[str]:
        """Commits on ``head`` not on ``base``, oldest first."""
        out = self.git("rev-list", "--reverse", f"{base}..{head}")
        return out.split() if out else []

    def mergeable(self, base: str, head: str) -> bool:
        done = subprocess.run(
            ["git", "--git-dir", str(self.path), "merge-tree", "--write-tree", base, head],
            capture_output=True,
            check=False,
        )
        return done.returncode == 0

    def _merged_tree(self, base_sha: str, head_sha: str) -> str:
        done = subprocess.run(
            ["git", "--git-dir", str(self.path), "merge-tree", "--write-tree", base_sha, head_sha],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            lines = done.stdout.strip().splitlines()
            raise MergeConflictError(lines[-1] if lines else done.stderr)
        return done.stdout.split()[0]

    def merge(self, *, base: str, head_sha: str, method: str, title: str, message: str) -> str:
        """Merge ``head_sha`` into branch ``base`` like GitHub's merge button; returns the new base commit."""
        base_sha = self.sha(base)
        if base_sha is None:
            msg = f"base branch {base} does not exist"
            raise RuntimeError(msg)
        tree = self._merged_tree(base_sha, head_sha)
        if method == "merge":
            parents = ["-p", base_sha, "-p", head_sha]
            text = f"{title}\n\n{message}".strip()
            new = self.git("commit-tree", tree, *parents, "-m", text, env=_BOT)
        elif method == "squash":
            new = self.git("commit-tree", tree, "-p", base_sha, "-m", f"{title}\n\n{message}".strip(), env=_BOT)
        else:
            # Rebase: replay with the original authorship. The tool's branches carry one commit; for several,
            # the final tree lands on the last replayed commit (enough for a fake).
            new = base_sha
            commits = self.commits_between(base_sha, head_sha)
            for index, commit in enumerate(commits):
                fields = self.git("show", "-s", "--format=%an%x00%ae%x00%aI%x00%B", commit).split("\0", 3)
                env = {
                    **_BOT,
                    "GIT_AUTHOR_NAME": fields[0],
                    "GIT_AUTHOR_EMAIL": fields[1],
                    "GIT_AUTHOR_DATE": fields[2],
                }
                step_tree = tree if index == len(commits) - 1 else self.git("rev-parse", f"{commit}^{{tree}}")
                new = self.git("commit-tree", step_tree, "-p", new, "-m", fields[3].strip(), env=env)
        self.git("update-ref", f"refs/heads/{base}", new, base_sha)
        return new
