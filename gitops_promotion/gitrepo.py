"""The only module that runs git (with git_discover and git_background, its two helpers): branches, commits,
pushes with lease, fetches, history.

git runs as plain subprocesses, each one counted: a promotion is a dozen git processes (issue 17), and importing
GitPython (plus its two `git version` probes) cost more than the work itself.

Credentials reach git through GIT_CONFIG_* environment variables (an http.extraheader), never through a URL or
a command-line argument, so neither `git remote -v` nor an error message that echoes the command shows them.
"""

from __future__ import annotations

import copy
import os
import re
import subprocess
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING

from gitops_promotion.errors import GitError
from gitops_promotion.git_background import Background
from gitops_promotion.git_discover import discover
from gitops_promotion.secrets import redact

if TYPE_CHECKING:
    from gitops_promotion.ci.identity import Identity

# How forges name the PR in the subject of the commit that merged it (GitHub merge/squash, Azure DevOps).
_PR_SUBJECTS = (
    re.compile(r"^Merge pull request #(\d+)\b"),
    re.compile(r"^Merged PR (\d+):"),
    re.compile(r"\(#(\d+)\)\s*$"),
)
# Commands that neither move HEAD nor change the index or worktree: HEAD read at start-up stays valid after them.
_KEEP_HEAD = frozenset({"rev-parse", "config", "ls-remote", "fetch", "cat-file", "grep", "log", "merge-base", "status"})
# What may run beside a background `git status` (it reads the index and HEAD) and a background checkout back.
_BESIDE_STATUS = frozenset({"ls-remote", "fetch", "rev-parse", "config"})
_BESIDE_CHECKOUT = frozenset({"ls-remote"})
_STATUS = ("status", "--porcelain=v2", "--branch", "--untracked-files=no")
# The summary `git commit` prints with core.abbrev=no: "[branch (root-commit) <full sha>] subject".
_COMMIT_SUMMARY = re.compile(rb"^\[[^\n]*? ([0-9a-f]{40}|[0-9a-f]{64})\] ")


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
        top, self._head, self._remote_head = discover(root, remote)
        self.root = top
        self.remote = remote
        self.auth_header = auth_header
        self._secrets: list[str] = []
        self._config: dict[str, list[str]] | None = None
        self._remote_url: str | None = None
        self._dirty_before_reset: bool | None = None
        self._background = Background()
        self.fetched: set[str] = set()  # branches fetched by this run, so a later step need not fetch them again
        if auth_header:
            self._secrets.append(auth_header.split()[-1])

    def twin(self) -> GitRepo:
        """The same checkout for a thread that only reads objects and refs: its own background processes, no
        HEAD, index or worktree of its own to change (issue 17: promote's catch-up reads while the event runs)."""
        twin = copy.copy(self)
        twin._background = Background()
        twin._dirty_before_reset = None
        twin.fetched = set()
        return twin

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
            match = re.match(r"(https?://[^/]+/)", self.remote_url())
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

    def git(self, *args: str, auth: bool = False, check: bool = True, env: Mapping[str, str] | None = None) -> str:
        """Run ``git args`` in the checkout and return stdout; failures become one-line GitErrors."""
        proc = self._run(list(args), env={**self._env(auth=auth), **(env or {})})
        if proc.returncode != 0:
            if not check:
                return ""
            stderr = proc.stderr.decode(errors="replace").strip().replace("\n", " ").strip("' ")
            msg = redact(f"git {args[0]} failed: {stderr or proc.returncode}", self._secrets)
            raise GitError(msg) from None
        return proc.stdout.decode(errors="replace").removesuffix("\n")

    def _run(self, args: list[str], *, env: Mapping[str, str], stdin: bytes | None = None) -> _Completed:
        self._background.before(args[0])
        if not _keeps_head(args):
            self._head = None
        return subprocess.run(
            ["git", *args],
            cwd=self.root,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            check=False,
            env={**os.environ, **env},
        )

    def config(self, key: str) -> str:
        """The last value of config ``key``, "" when unset (the whole config is read once, in one process)."""
        values = self._read_config().get(key)
        return values[-1] if values else ""

    def _read_config(self) -> dict[str, list[str]]:
        if self._config is None:
            self._config = {}
            for item in self.git("config", "--list", "-z", check=False).split("\0"):
                name, _, value = item.partition("\n")
                if name:
                    self._config.setdefault(name, []).append(value)  # git prints section and key in lower case
        return self._config

    # -- refs ----------------------------------------------------------------------------------------------
    def remote_url(self) -> str:
        """The remote's URL as git uses it (``insteadOf`` applied), "" without the remote; asked once."""
        if self._remote_url is None:
            url = self.config(f"remote.{self.remote}.url") if self.has_remote() else ""
            self._remote_url = _instead_of(url, self._read_config())
        return self._remote_url

    def has_remote(self) -> bool:
        # What `git remote` lists: the remotes configured with a URL or a fetch refspec.
        prefix = f"remote.{self.remote}."
        return any(key in (f"{prefix}url", f"{prefix}fetch") for key in self._read_config())

    def head_sha(self) -> str:
        """HEAD's commit: the one read when the checkout was opened, until a command here may have moved it."""
        if self._head is None:
            self._head = self.git("rev-parse", "HEAD")
        return self._head

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
            known = self._remote_head if (self._remote_head or "").startswith(f"refs/remotes/{self.remote}/") else None
            head = known or self.git("symbolic-ref", "--quiet", f"refs/remotes/{self.remote}/HEAD", check=False)
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
            self.fetched.update(branches)
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

    def remote_branch_sha(self, branch: str) -> str | None:
        """The remote branch's commit as the remote has it now (the local branch without a remote); None = absent."""
        return self.remote_heads([branch]).get(branch)

    # -- working tree --------------------------------------------------------------------------------------
    def is_dirty(self) -> bool:
        return bool(self.git("status", "--porcelain", "--untracked-files=no"))

    def start_status(self) -> None:
        """Start the `git status` that ``restore_head`` asks, so it runs while the caller waits on the network
        (unless one started earlier has not been asked yet)."""
        if not self._background.running(_STATUS):  # one started and not asked yet is still fresh
            self._background.start(_STATUS, cwd=str(self.root), env=self._full_env(), beside=_BESIDE_STATUS)

    def settle(self) -> None:
        """Wait for the git processes still running in the background (the checkout back, an unasked status)."""
        self._background.settle()

    def _full_env(self) -> dict[str, str]:
        return {**os.environ, **self._env(auth=False)}

    def branch_and_dirty(self) -> tuple[str | None, bool]:
        """The checked-out branch (None when detached) and whether tracked files changed: one `git status`
        (the one ``start_status`` started, when there is one)."""
        started = self._background.result(_STATUS)
        # None started, or it failed: ask now, and let a failure say why.
        out = started[1].decode(errors="replace") if started is not None and started[0] == 0 else self.git(*_STATUS)
        branch, dirty = None, False
        for line in out.splitlines():
            if line.startswith("# branch.head "):
                head = line.removeprefix("# branch.head ")
                branch = None if head == "(detached)" else head
            elif not line.startswith("#"):
                dirty = True
        return branch, dirty

    def checkout_reset(self, branch: str, start: str) -> None:
        """Create or reset local ``branch`` at ``start`` and check it out (works from a detached HEAD)."""
        if self._dirty_before_reset if self._dirty_before_reset is not None else self.branch_and_dirty()[1]:
            msg = f"{self.root}: the checkout has uncommitted changes; commit or stash them first"
            raise GitError(msg)
        self._dirty_before_reset = None
        self.git("checkout", "--quiet", "-B", branch, start)

    def checkout_detached(self, start: str) -> None:
        """Check out ``start`` on a detached HEAD: commits made there move no branch (dry runs)."""
        dirty = self._dirty_before_reset
        self._dirty_before_reset = None
        if dirty if dirty is not None else self.is_dirty():
            msg = f"{self.root}: the checkout has uncommitted changes; commit or stash them first"
            raise GitError(msg)
        self.git("checkout", "--quiet", "--detach", start)

    def checkout(self, ref: str) -> None:
        self.git("checkout", "--quiet", ref)

    @contextmanager
    def restore_head(self) -> Iterator[None]:
        """Return to the branch (or detached commit) that was checked out before the block.

        One `git status` tells both where HEAD is and whether the tree is clean (checkout_reset asks the latter
        first thing inside the block). A block that ends normally has committed its edits or made none, so only
        one that failed asks again: a half-edited tree is left for the user to see, not carried to ``before``.
        After a normal end the checkout back runs in the background (the next git command here, or ``settle``,
        waits for it): the PR is written meanwhile.
        """
        branch, dirty = self.branch_and_dirty()
        before = branch or self.head_sha()
        self._dirty_before_reset = dirty
        try:
            yield
        except BaseException:
            self._dirty_before_reset = None
            if not self.is_dirty():
                self.git("checkout", "--quiet", before, check=False)
            raise
        self._dirty_before_reset = None
        self._head = None
        args = ("checkout", "--quiet", before)
        self._background.start(args, cwd=str(self.root), env=self._full_env(), beside=_BESIDE_CHECKOUT)

    def commit(self, message: str, paths: Sequence[Path], identity: Identity, *, tracked: bool = False) -> str | None:
        """Commit ``paths`` and return the new sha; None when nothing changed (no empty commits).

        ``tracked``: every path is a file git already tracks (edited markers), so `git commit -- paths` takes
        them without a `git add` first; new files and directories need the default.
        """
        rel = [str(p.relative_to(self.root)) if p.is_absolute() else str(p) for p in paths]
        if rel and not tracked:
            self.git("add", "--all", "--", *rel)
        # Environment variables, not -c user.*: GIT_AUTHOR_* set by a CI runner would otherwise win.
        who = {
            "GIT_AUTHOR_NAME": identity.name,
            "GIT_AUTHOR_EMAIL": identity.email,
            "GIT_COMMITTER_NAME": identity.name,
            "GIT_COMMITTER_EMAIL": identity.email,
        }
        # git itself says when nothing is staged (exit 1, "nothing to commit" on stdout): no `git diff` first.
        # Its summary line carries the new commit's full sha (core.abbrev=no): no `git rev-parse HEAD` after.
        only = ["--", *rel] if rel and tracked else []
        args = ["commit", "--no-verify", "-m", message, *only]
        proc = self._run(["-c", "core.abbrev=no", *args], env={**self._env(auth=False), **who})
        if proc.returncode != 0 and b"core.abbrev" in proc.stderr:  # git before 2.31 knows no "no": ask HEAD after
            proc = self._run(args, env={**self._env(auth=False), **who})
        if proc.returncode != 0 and not proc.stderr.strip() and b"nothing" in proc.stdout:
            return None
        if proc.returncode != 0:
            stderr = proc.stderr.decode(errors="replace").strip().replace("\n", " ")
            msg = redact(f"git commit failed: {stderr or proc.returncode}", self._secrets)
            raise GitError(msg)
        summary = _COMMIT_SUMMARY.match(proc.stdout)
        return summary.group(1).decode() if summary else self.head_sha()

    def push(self, branch: str, *, expect: str | None) -> None:
        """Push ``branch`` with ``--force-with-lease`` expecting the remote at ``expect`` (None = absent)."""
        if not self.has_remote():
            return
        lease = f"--force-with-lease=refs/heads/{branch}:{expect or ''}"
        self.git("push", "--quiet", "--porcelain", lease, self.remote, f"HEAD:refs/heads/{branch}", auth=True)

    # -- history -------------------------------------------------------------------------------------------
    def show(self, rev: str, path: str) -> bytes | None:
        """The bytes of ``path`` at ``rev``, or None when it does not exist there."""
        proc = self._run(["show", f"{rev}:{path}"], env=self._env(auth=False))
        return proc.stdout if proc.returncode == 0 else None

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
        return self._run(["merge-base", "--is-ancestor", older, newer], env=self._env(auth=False)).returncode == 0

    def read_objects(self, names: Sequence[str]) -> list[bytes | None]:
        """The contents of many objects (``rev:path`` or blob ids) through one `git cat-file --batch`.

        One process for hundreds of files is what keeps `show` fast on big repositories; None = missing.
        """
        return [found[1] if found else None for found in self.read_objects_with_ids(names)]

    def read_objects_with_ids(self, names: Sequence[str]) -> list[tuple[str, bytes] | None]:
        """Like read_objects, each with its object id (so a blob read by path and by id is parsed once)."""
        wanted = [n for n in names if "\n" not in n]
        if not wanted:
            return [None for _ in names]
        proc = self._run(["cat-file", "--batch"], env=self._env(auth=False), stdin="\n".join(wanted).encode() + b"\n")
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
                found[name] = (header[0].decode(), out[pos : pos + size])
                pos += size + 1
        return [found.get(n) for n in names]

    def start(self, *args: str) -> Running:
        """Start ``git args`` (no credentials) and return at once; ``Running.output()`` waits for its stdout.

        The output goes to an unnamed temporary file, not a pipe: nothing has to read it while Python works on
        something else, so git never stalls on a full pipe (issue 17: `show` parses while its log runs).
        """
        import tempfile

        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115 - Running.output closes them
        proc = subprocess.Popen(
            ["git", *args],
            cwd=self.root,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
            env={**os.environ, **self._env(auth=False)},
        )
        return Running(proc, out, err, args[0], self._secrets)


class Running:
    """A git process started by `GitRepo.start`."""

    def __init__(self, proc: subprocess.Popen[bytes], out: IO[bytes], err: IO[bytes], verb: str, secrets: list[str]):
        self._proc, self._out, self._err, self._verb, self._secrets = proc, out, err, verb, secrets

    def output(self) -> str:
        """Its stdout once it has exited; a GitError (as `GitRepo.git` raises) when it failed."""
        code = self._proc.wait()
        try:
            if code != 0:
                self._err.seek(0)
                stderr = self._err.read().decode(errors="replace").strip().replace("\n", " ").strip("' ")
                msg = redact(f"git {self._verb} failed: {stderr or code}", self._secrets)
                raise GitError(msg) from None
            self._out.seek(0)
            return self._out.read().decode(errors="replace").removesuffix("\n")
        finally:
            self._out.close()
            self._err.close()


_Completed = subprocess.CompletedProcess[bytes]


def _instead_of(url: str, config: Mapping[str, list[str]]) -> str:
    """``url`` rewritten by ``url.<base>.insteadOf`` as git does it: the longest matching prefix wins."""
    best, base = "", ""
    for key, values in config.items():
        if key.startswith("url.") and key.endswith(".insteadof"):
            for prefix in values:
                if url.startswith(prefix) and len(prefix) > len(best):
                    best, base = prefix, key.removeprefix("url.").removesuffix(".insteadof")
    return base + url.removeprefix(best) if best else url


def _keeps_head(args: Sequence[str]) -> bool:
    """Whether ``git args`` leaves HEAD where it was (`symbolic-ref` with one ref reads it, with two moves it)."""
    if args[0] == "symbolic-ref":
        return len([a for a in args[1:] if not a.startswith("-")]) == 1
    return args[0] in _KEEP_HEAD
