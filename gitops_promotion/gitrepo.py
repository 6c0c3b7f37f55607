"""The only module that runs git (through GitPython): branches, commits, pushes with lease, fetches, history.

Credentials reach git through GIT_CONFIG_* environment variables (an http.extraheader), never through a URL or
a command-line argument, so neither `git remote -v` nor an error message that echoes the command shows them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_promotion.errors import GitError, UsageError
from gitops_promotion.secrets import redact

if TYPE_CHECKING:
    from gitops_promotion.ci.identity import Identity

# How forges name the PR in the subject of the commit that merged it (GitHub merge/squash, Azure DevOps).
_PR_SUBJECTS = (
    re.compile(r"^Merge pull request #(\d+)\b"),
    re.compile(r"^Merged PR (\d+):"),
    re.compile(r"\(#(\d+)\)\s*$"),
)


@dataclass(frozen=True)
class LogEntry:
    sha: str
    parents: tuple[str, ...]
    author: str
    author_email: str
    timestamp: int  # committer time, seconds since the epoch
    subject: str

    @property
    def pr_number(self) -> int | None:
        """The PR a merge or squash commit names in its subject (GitHub and Azure DevOps defaults)."""
        for pattern in _PR_SUBJECTS:
            match = pattern.search(self.subject)
            if match:
                return int(match.group(1))
        return None


class GitRepo:
    """A checkout. ``auth_header`` (e.g. ``Authorization: basic ...``) is sent on fetch and push only."""

    def __init__(self, root: Path, *, remote: str = "origin", auth_header: str | None = None) -> None:
        import git

        try:
            self._repo = git.Repo(root, search_parent_directories=True)
        except (git.InvalidGitRepositoryError, git.NoSuchPathError):
            msg = f"--sourcedir {root}: not a git repository"
            raise UsageError(msg) from None
        if self._repo.bare:
            msg = f"--sourcedir {root}: is a bare repository; run in a checkout"
            raise UsageError(msg)
        self.root = Path(self._repo.working_tree_dir or root)
        self.remote = remote
        self.auth_header = auth_header
        self._secrets: list[str] = []
        self._remote_url: str | None = None
        if auth_header:
            self._secrets.append(auth_header.split()[-1])

    def add_secret(self, secret: str) -> None:
        """Redact ``secret`` from every git error message from now on."""
        self._secrets.append(secret)

    # -- running git ---------------------------------------------------------------------------------------
    def _env(self, *, auth: bool) -> dict[str, str]:
        env = {"GIT_TERMINAL_PROMPT": "0", "LC_ALL": "C"}
        if auth and self.auth_header:
            # actions/checkout leaves `http.https://host/.extraheader` with its own token in the repo config; a
            # generic http.extraheader would lose to that more specific key, so we set the same URL-specific key,
            # first empty (which resets the list) and then ours.
            key = "http.extraheader"
            match = re.match(r"(https?://[^/]+/)", self.remote_url_cached())
            if match:
                key = f"http.{re.sub(r'//[^@/]*@', '//', match.group(1))}.extraheader"
            count = int(os.environ.get("GIT_CONFIG_COUNT", "0") or 0)
            env.update(
                {
                    "GIT_CONFIG_COUNT": str(count + 2),
                    f"GIT_CONFIG_KEY_{count}": key,
                    f"GIT_CONFIG_VALUE_{count}": "",
                    f"GIT_CONFIG_KEY_{count + 1}": key,
                    f"GIT_CONFIG_VALUE_{count + 1}": self.auth_header,
                }
            )
        return env

    def remote_url_cached(self) -> str:
        if self._remote_url is None:
            self._remote_url = self.git("remote", "get-url", self.remote, check=False)
        return self._remote_url

    def git(self, *args: str, auth: bool = False, check: bool = True, env: Mapping[str, str] | None = None) -> str:
        """Run ``git args`` in the checkout and return stdout; failures become one-line GitErrors."""
        import git

        try:
            out: str = self._repo.git.execute(
                ["git", *args], env={**self._env(auth=auth), **(env or {})}, strip_newline_in_stdout=True
            )
        except git.GitCommandError as exc:
            if not check:
                return ""
            stderr = (exc.stderr or "").strip().replace("\n", " ").removeprefix("stderr: ").strip("' ")
            msg = redact(f"git {args[0]} failed: {stderr or exc.status}", self._secrets)
            raise GitError(msg) from None
        return out

    # -- refs ----------------------------------------------------------------------------------------------
    def remote_url(self) -> str:
        return self.git("remote", "get-url", self.remote, check=False)

    def has_remote(self) -> bool:
        return self.remote in self.git("remote").split()

    def head_sha(self) -> str:
        return self.git("rev-parse", "HEAD")

    def current_branch(self) -> str | None:
        """The checked-out branch, or None on a detached HEAD."""
        name = self.git("symbolic-ref", "--quiet", "--short", "HEAD", check=False)
        return name or None

    def rev(self, ref: str) -> str | None:
        out = self.git("rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}", check=False)
        return out or None

    def remote_ref(self, branch: str) -> str:
        return f"refs/remotes/{self.remote}/{branch}" if self.has_remote() else f"refs/heads/{branch}"

    def default_branch(self, configured: str | None = None) -> str:
        """The configured branch, else the remote's HEAD, else ``main`` / ``master`` if present."""
        if configured:
            return configured
        if self.has_remote():
            head = self.git("symbolic-ref", "--quiet", f"refs/remotes/{self.remote}/HEAD", check=False)
            if head:
                return head.removeprefix(f"refs/remotes/{self.remote}/")
            out = self.git("ls-remote", "--symref", self.remote, "HEAD", auth=True, check=False)
            match = re.search(r"ref: refs/heads/(\S+)\s+HEAD", out)
            if match:
                return match.group(1)
        for candidate in ("main", "master"):
            if self.rev(self.remote_ref(candidate)) or self.rev(f"refs/heads/{candidate}"):
                return candidate
        return "main"

    def fetch(self, *branches: str) -> None:
        """Fetch ``branches`` (all when empty) into refs/remotes; pruning removed ones."""
        if not self.has_remote():
            return
        specs = [f"+refs/heads/{b}:refs/remotes/{self.remote}/{b}" for b in branches] or [
            f"+refs/heads/*:refs/remotes/{self.remote}/*"
        ]
        try:
            self.git("fetch", "--quiet", "--prune", "--no-tags", self.remote, *specs, auth=True)
        except GitError as exc:
            missing = re.search(r"couldn't find remote ref refs/heads/(\S+)", exc.message)
            if missing:
                msg = f"branch {missing.group(1)!r} does not exist on remote {self.remote!r}"
                raise GitError(msg) from None
            raise

    def remote_heads(self, branches: Sequence[str]) -> dict[str, str]:
        """The remote commit of each of ``branches`` that exists, through ONE ls-remote (local refs without a
        remote); a branch missing from the answer is missing on the remote."""
        if not self.has_remote():
            found = {b: self.rev(f"refs/heads/{b}") for b in branches}
            return {b: sha for b, sha in found.items() if sha}
        refs = [f"refs/heads/{b}" for b in dict.fromkeys(branches)]
        out = self.git("ls-remote", "--heads", self.remote, *refs, auth=True)
        heads = {}
        for line in out.splitlines():
            sha, _, ref = line.partition("\t")
            if ref.removeprefix("refs/heads/") in branches:
                heads[ref.removeprefix("refs/heads/")] = sha
        return heads

    # -- working tree --------------------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        return bool(self.git("status", "--porcelain", "--untracked-files=no"))

    def checkout_reset(self, branch: str, start: str) -> None:
        """Create or reset local ``branch`` at ``start`` and check it out (works from a detached HEAD)."""
        if self.is_dirty():
            msg = f"{self.root}: the checkout has uncommitted changes; commit or stash them first"
            raise GitError(msg)
        self.git("checkout", "--quiet", "-B", branch, start)

    def checkout_detached(self, start: str) -> None:
        """Check out ``start`` on a detached HEAD: commits made there move no branch (dry runs)."""
        if self.is_dirty():
            msg = f"{self.root}: the checkout has uncommitted changes; commit or stash them first"
            raise GitError(msg)
        self.git("checkout", "--quiet", "--detach", start)

    def checkout(self, ref: str) -> None:
        self.git("checkout", "--quiet", ref)

    @contextmanager
    def restore_head(self) -> Iterator[None]:
        """Return to the branch (or detached commit) that was checked out before the block."""
        before = self.current_branch() or self.head_sha()
        try:
            yield
        finally:
            if not self.is_dirty():
                self.git("checkout", "--quiet", before, check=False)

    def commit(self, message: str, paths: Sequence[Path], identity: Identity) -> str | None:
        """Commit ``paths`` and return the new sha; None when nothing changed (no empty commits)."""
        rel = [str(p.relative_to(self.root)) if p.is_absolute() else str(p) for p in paths]
        if rel:
            self.git("add", "--all", "--", *rel)
        if not self.git("diff", "--cached", "--name-only"):
            return None
        # Environment variables, not -c user.*: GIT_AUTHOR_* set by a CI runner would otherwise win.
        who = {
            "GIT_AUTHOR_NAME": identity.name,
            "GIT_AUTHOR_EMAIL": identity.email,
            "GIT_COMMITTER_NAME": identity.name,
            "GIT_COMMITTER_EMAIL": identity.email,
        }
        self.git("commit", "--quiet", "--no-verify", "-m", message, env=who)
        return self.head_sha()

    def push(self, branch: str, *, expect: str | None) -> None:
        """Push ``branch`` with ``--force-with-lease`` expecting the remote at ``expect`` (None = absent)."""
        if not self.has_remote():
            return
        lease = f"--force-with-lease=refs/heads/{branch}:{expect or ''}"
        self.git("push", "--quiet", "--porcelain", lease, self.remote, f"HEAD:refs/heads/{branch}", auth=True)

    # -- history -------------------------------------------------------------------------------------------
    def show(self, rev: str, path: str) -> bytes | None:
        """The bytes of ``path`` at ``rev``, or None when it does not exist there."""
        import git

        try:
            data: bytes = self._repo.git.execute(
                ["git", "show", f"{rev}:{path}"], stdout_as_string=False, strip_newline_in_stdout=False
            )
        except git.GitCommandError:
            return None
        return data

    def grep_files(self, rev: str, needle: str, paths: Sequence[str]) -> list[str]:
        """Files under ``paths`` at ``rev`` whose content contains ``needle`` (fixed string)."""
        out = self.git("grep", "-l", "-F", "-e", needle, rev, "--", *paths, check=False)
        prefix = f"{rev}:"
        return [line.removeprefix(prefix) for line in out.splitlines() if line]

    def log(
        self, rev: str, paths: Sequence[str] = (), *, max_count: int | None = None, first_parent: bool = False
    ) -> list[LogEntry]:
        """Commits reachable from ``rev`` touching ``paths``, newest first."""
        sep = "\x1f"
        args = ["log", f"--format=%H{sep}%P{sep}%an{sep}%ae{sep}%ct{sep}%s"]
        if first_parent:
            args.append("--first-parent")
        if max_count is not None:
            args.append(f"--max-count={max_count}")
        args += [rev, "--", *paths]
        entries = []
        for line in self.git(*args).splitlines():
            sha, parents, author, email, ts, subject = line.split(sep, 5)
            entries.append(LogEntry(sha, tuple(parents.split()), author, email, int(ts), subject))
        return entries

    def is_ancestor(self, older: str, newer: str) -> bool:
        import git

        try:
            self._repo.git.execute(["git", "merge-base", "--is-ancestor", older, newer])
        except git.GitCommandError:
            return False
        return True

    def read_objects(self, names: Sequence[str]) -> list[bytes | None]:
        """The contents of many objects (``rev:path`` or blob ids) through one `git cat-file --batch`.

        One process for hundreds of files is what keeps `show` fast on big repositories; None = missing.
        """
        import subprocess

        wanted = [n for n in names if "\n" not in n]
        if not wanted:
            return [None] * len(names)
        proc = subprocess.run(
            ["git", "cat-file", "--batch"],
            cwd=self.root,
            input="\n".join(wanted).encode() + b"\n",
            capture_output=True,
            check=False,
            env={**os.environ, **self._env(auth=False)},
        )
        if proc.returncode != 0:
            msg = f"git cat-file failed: {proc.stderr.decode(errors='replace').strip()}"
            raise GitError(msg)
        out, pos, found = proc.stdout, 0, {}
        for name in wanted:
            end = out.index(b"\n", pos)
            header = out[pos:end].split()
            pos = end + 1
            if len(header) == 3 and header[2].isdigit():  # "<sha> <type> <size>", content, newline
                size = int(header[2])
                found[name] = out[pos : pos + size]
                pos += size + 1
        return [found.get(n) for n in names]
