"""The steps scenarios are made of, the Driver a forge suite supplies to play them, and step shorthands.

Steps name environments, never branches or paths: CLI arguments and expected texts may say ``{head:qa}`` (the head
branch of a promotion into qa) or ``{branch:qa}`` (the branch qa lives on); `play` (tests/e2e/scenarios.py)
resolves them for the layout being played.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import pytest

from gitops_promotion.cli import main
from tests.e2e.layouts import DEFAULT


def run_cli(capsys: pytest.CaptureFixture[str], ci: dict[str, str], argv: list[str]) -> tuple[int, str]:
    """Run the real CLI with the CI job's variables set; return its exit code and stdout + stderr."""
    capsys.readouterr()
    with pytest.MonkeyPatch.context() as patch:
        for key, value in ci.items():
            patch.setenv(key, value)
        code = main(argv)
    out, err = capsys.readouterr()
    return code, out + err


@dataclass(frozen=True)
class Cli:
    """Run ``gitops-promotion <args>``; expect the exit code and these substrings in stdout + stderr."""

    args: tuple[str, ...]
    code: int = 0
    expect: tuple[str, ...] = ()
    reject: tuple[str, ...] = ()


@dataclass(frozen=True)
class Gate:
    """CI's promotion check passes on the PR's head commit; the forge auto-merges the PR if auto-merge is on."""

    pr: int


@dataclass(frozen=True)
class Merge:
    """A human merges the PR."""

    pr: int


@dataclass(frozen=True)
class Sync:
    """The CI job of a push to ``env``'s branch: a detached checkout of that branch's tip, and the CI variables
    that name the pushed branch (so `promote` learns the branch from them, as in a real pipeline)."""

    env: str


@dataclass(frozen=True)
class Flux:
    """Flux posts its status for kustomization ``apps-<env>`` on ``on`` ("HEAD" of the checkout, or "pr:N")."""

    env: str
    state: str  # "success" or "failure"
    on: str = "HEAD"
    cluster: str | None = "cluster-1"  # None: the older context without a suffix


@dataclass(frozen=True)
class PushTo:
    """An unrelated commit is pushed straight to ``env``'s branch, which stays checked out (Flux may reconcile
    it instead of a promotion's merge commit)."""

    env: str
    path: str = "README.md"
    text: str = "docs\n"


@dataclass(frozen=True)
class HumanPR:
    """Someone opens pull request ``pr`` (not made by the tool) from branch ``docs`` into ``env``'s branch."""

    pr: int
    env: str


@dataclass(frozen=True)
class EditConfig:
    """Change gitops-promotion.yaml (old -> new text) on every branch that carries it, and push."""

    old: str
    new: str


@dataclass(frozen=True)
class MoveEnv:
    """Point environment ``env`` at branch ``branch`` in gitops-promotion.yaml on every branch, and push."""

    env: str
    branch: str


@dataclass(frozen=True)
class ExpectPR:
    pr: int
    state: str  # "open", "merged" or "closed"
    auto_merge: bool | None = None
    head: str | None = None  # may hold {head:env}
    base_env: str | None = None  # the PR targets this environment's branch


@dataclass(frozen=True)
class ExpectOpenPRs:
    count: int


@dataclass(frozen=True)
class ExpectCommits:
    """The promotion branch into ``into`` holds exactly ``count`` commits on top of that environment's branch."""

    into: str
    count: int


@dataclass(frozen=True)
class ExpectDeployed:
    """``env``'s podinfo.yaml on origin's copy of its branch runs podinfo:<tag>."""

    env: str
    tag: str


@dataclass(frozen=True)
class ExpectOwnFiles:
    """Every environment still has its own cluster.txt, and an environment branch holds no other's directory."""


@dataclass(frozen=True)
class Naming:
    """Steps that depend on how head branches are named: one per app, or one per environment (prflow per-env,
    or any environment on a branch of its own)."""

    per_app: tuple[Step, ...]
    per_env: tuple[Step, ...]


Step = (
    Cli
    | Gate
    | Merge
    | Sync
    | Flux
    | PushTo
    | HumanPR
    | EditConfig
    | MoveEnv
    | ExpectPR
    | ExpectOpenPRs
    | ExpectCommits
    | ExpectDeployed
    | ExpectOwnFiles
    | Naming
)


@dataclass(frozen=True)
class PRView:
    number: int
    state: str
    auto_merge: bool
    head: str
    merge_commit: str | None
    base: str = DEFAULT


class Driver(Protocol):
    """What a forge's suite provides to play scenarios on its fake forge."""

    work: Path

    def cli(self, *args: str) -> tuple[int, str]:
        """Run the CLI on the checkout against the fake forge; (exit code, stdout + stderr)."""
        ...

    def gate(self, pr: int) -> None: ...

    def merge(self, pr: int) -> None: ...

    def pr(self, number: int) -> PRView: ...

    def open_pr(self, head: str, base: str) -> int:
        """Open a pull request the way a person would (no promotion metadata); its number."""
        ...

    def open_pr_count(self) -> int: ...

    def pushed(self, branch: str) -> None:
        """From now on the CLI runs as the CI job of a push to ``branch`` (the forge's own variables)."""
        ...

    def flux(self, sha: str, name: str, state: str, cluster: str | None) -> None:
        """Post a Flux-style status for kustomization ``name`` on ``sha`` in the forge's own format."""
        ...

    def git(self, *args: str) -> str: ...


def cluster_suffix(cluster: str) -> str:
    """Flux's 8-hex suffix that tells clusters apart in a status context."""
    return hashlib.sha256(cluster.encode()).hexdigest()[:8]


def new(tag: str, *expect: str, app: str = "podinfo", code: int = 0, reject: tuple[str, ...] = ()) -> Cli:
    return Cli(("new", "--group", "apps", "--app", app, "--tag", tag), code, expect, reject)


def promote(*expect: str, code: int = 0) -> Cli:
    return Cli(("promote",), code, expect)


def status(*expect: str, into: str, code: int = 0, timeout: str | None = None) -> Cli:
    """The gate of the open promotion into ``into``."""
    extra = ("--timeout", timeout) if timeout is not None else ()
    return Cli(("status", "--branch", f"{{head:{into}}}", *extra), code, expect)
