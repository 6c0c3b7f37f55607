"""git processes left running while the command goes on (issue 17): a `git status` started before the network
round trips it does not depend on, and the checkout back to the user's branch, which runs while the PR is written.

Each one names the commands that may run beside it (they touch neither the index, the worktree nor HEAD); any
other git command waits for it first, so the checkout never sees two writers. ``settle`` waits for all of them:
a command calls it before it returns, so nothing outlives the run.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass
class _Running:
    args: tuple[str, ...]
    proc: subprocess.Popen[bytes]
    beside: frozenset[str]
    done: tuple[int, bytes, bytes] | None = None

    def wait(self) -> tuple[int, bytes, bytes]:
        if self.done is None:
            out, err = self.proc.communicate()
            self.done = (self.proc.returncode, out, err)
        return self.done


class Background:
    """The git processes running in the background for one checkout."""

    def __init__(self) -> None:
        self._running: list[_Running] = []

    def start(
        self, args: Sequence[str], *, cwd: str, env: Mapping[str, str], beside: frozenset[str]
    ) -> tuple[str, ...]:
        """Start ``git args`` (after what it must not run beside); ``result(args)`` takes its answer."""
        self.before(args[0])
        proc = subprocess.Popen(
            ["git", *args],
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=dict(env),
        )
        self._running.append(_Running(tuple(args), proc, beside))
        return tuple(args)

    def running(self, args: Sequence[str]) -> bool:
        """Whether ``git args`` was started and its result not taken yet."""
        return any(running.args == tuple(args) for running in self._running)

    def result(self, args: Sequence[str]) -> tuple[int, bytes, bytes] | None:
        """The (exit code, stdout, stderr) of the background ``git args``, waited for; None when none runs."""
        for running in self._running:
            if running.args == tuple(args):
                self._running.remove(running)
                return running.wait()
        return None

    def before(self, command: str) -> None:
        """Wait for every background process that ``git command`` must not run beside."""
        for running in list(self._running):
            if command not in running.beside:
                running.wait()
                self._running.remove(running)

    def settle(self) -> None:
        """Wait for every background process (their failures were never fatal: status is asked again)."""
        for running in self._running:
            running.wait()
        self._running.clear()
