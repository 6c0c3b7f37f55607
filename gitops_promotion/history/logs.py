"""Every environment's pickaxe log, running in git while the branch heads are parsed in Python (issue 17).

A log's pathspecs are the environment's directories of the groups the heads deploy, which are known only once
every marker file at the heads is parsed, the slowest step of `show` in Python. So the logs start before that,
for the groups a plain scan of the same bytes names (one log per branch instead of one per environment), and
each environment's entries are then cut down to its exact directories, as git's literal pathspecs would have
cut them. When the parse finds a group the scan missed (a marker spelled with JSON escapes), or a directory is
not a literal path, the guess is dropped and the exact logs run as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import replace

from gitops_promotion.errors import GitError
from gitops_promotion.gitrepo import GitRepo
from gitops_promotion.history.timeline import CommitFiles, log_args, parse_log, read_log, under

# The namespace of a marker as it is usually written; a marker it misses only costs the head start.
_GROUP = re.compile(rb'"\$imagepolicy"\s*:\s*"([A-Za-z0-9][A-Za-z0-9._-]*):')
_NOT_LITERAL = ("*", "?", "[", "\\")  # git reads these as wildcards in a pathspec


def named_groups(contents: Iterable[bytes]) -> set[str]:
    """The namespaces the markers in ``contents`` name, by a byte scan (no YAML parse)."""
    return {match.decode() for data in contents for match in _GROUP.findall(data)}


class EnvLogs:
    """The logs of every branch for a guess of the groups, running from construction on.

    ``specs(env, groups)`` gives an environment's directories for ``groups``; ``revs`` maps each environment
    that has a branch head to it.
    """

    def __init__(
        self,
        repo: GitRepo,
        revs: dict[str, str],
        specs: Callable[[str, Sequence[str]], list[str]],
        guess: set[str],
    ) -> None:
        self._repo = repo
        self._revs = revs
        self._specs = specs
        self._guess = guess
        by_rev: dict[str, set[str]] = {}
        for env, rev in revs.items():
            by_rev.setdefault(rev, set()).update(specs(env, sorted(guess)))
        self._running = {rev: repo.start(*log_args(rev, paths)) for rev, paths in by_rev.items() if paths}

    def _guessed(self) -> dict[str, list[CommitFiles]] | None:
        found: dict[str, list[CommitFiles]] | None = {}
        for rev, running in self._running.items():  # every one is waited for, even after a failure
            try:
                out = running.output()
            except GitError:
                found = None  # the exact logs run again and report it
                continue
            if found is not None:
                found[rev] = parse_log(out)
        return found

    def result(self, groups: list[str]) -> dict[str, list[CommitFiles]]:
        """env -> its log (as `read_log` with the env's directories of ``groups`` would give it)."""
        guessed = self._guessed()
        exact = {env: self._specs(env, groups) for env in self._revs}
        if any(_wild(spec) for paths in exact.values() for spec in paths) or not set(groups) <= self._guess:
            guessed = None
        logs: dict[str, list[CommitFiles]] = {}
        for env, rev in self._revs.items():
            if not exact[env]:
                logs[env] = []
            elif guessed is not None:
                logs[env] = _only(guessed.get(rev, []), exact[env])
            else:
                logs[env] = read_log(self._repo, rev, exact[env])
        return logs


def _wild(spec: str) -> bool:
    """A pathspec git would not read as the plain directory `under` compares with (magic, wildcards, dots)."""
    if spec in ("", "."):
        return False
    parts = spec.split("/")
    return spec.startswith(":") or any(c in spec for c in _NOT_LITERAL) or any(p in ("", ".", "..") for p in parts)


def _only(entries: list[CommitFiles], specs: list[str]) -> list[CommitFiles]:
    """The entries (and their files) under ``specs``: what the log limited to them lists, less commits left
    without a file (they change nothing in `replay`)."""
    dirs = ["" if s in ("", ".") else s for s in specs]
    kept = []
    for entry in entries:
        files = tuple(f for f in entry.files if any(under(f[0], d) for d in dirs))
        if files:
            kept.append(entry if len(files) == len(entry.files) else replace(entry, files=files))
    return kept
