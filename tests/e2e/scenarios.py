"""Forge-agnostic promotion scenarios, played through the real CLI by each forge's e2e suite.

A scenario is a list of steps: CLI runs with their expected exit code and output, and what the world does in
between (CI's gate check passes, a human merges, Flux posts a status, someone pushes to main). A forge suite
supplies a `Driver` (how to do those things on its fake forge) and calls `play`. The layout is the demo's
(tests/conftest.py `example_repo`): apps/{dev,qa,prod}/podinfo.yaml, dev and qa auto, prod manual, per-app.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

BRANCH = "promote/apps-podinfo"


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
    """The CI checkout of a push: fetch, and reset the work tree to the pushed branch."""

    branch: str = "main"


@dataclass(frozen=True)
class Flux:
    """Flux posts its status for kustomization ``apps-<env>`` on ``on`` ("HEAD" of the checkout, or "pr:N")."""

    env: str
    state: str  # "success" or "failure"
    on: str = "HEAD"
    cluster: str | None = "cluster-1"  # None: the older context without a suffix


@dataclass(frozen=True)
class PushMain:
    """An unrelated commit lands on main (Flux may reconcile it instead of a promotion's merge commit)."""

    path: str = "README.md"
    text: str = "docs\n"


@dataclass(frozen=True)
class EditConfig:
    """Change gitops-promotion.yaml on main (old -> new text) and push it."""

    old: str
    new: str


@dataclass(frozen=True)
class ExpectPR:
    pr: int
    state: str  # "open", "merged" or "closed"
    auto_merge: bool | None = None
    head: str | None = None


@dataclass(frozen=True)
class ExpectOpenPRs:
    count: int


@dataclass(frozen=True)
class ExpectDeployed:
    """origin/main's apps/<env>/podinfo.yaml runs podinfo:<tag>."""

    env: str
    tag: str


Step = Cli | Gate | Merge | Sync | Flux | PushMain | EditConfig | ExpectPR | ExpectOpenPRs | ExpectDeployed


@dataclass(frozen=True)
class PRView:
    number: int
    state: str
    auto_merge: bool
    head: str
    merge_commit: str | None


class Driver(Protocol):
    """What a forge's suite provides to play scenarios on its fake forge."""

    work: Path

    def cli(self, *args: str) -> tuple[int, str]:
        """Run the CLI on the checkout against the fake forge; (exit code, stdout + stderr)."""
        ...

    def gate(self, pr: int) -> None: ...

    def merge(self, pr: int) -> None: ...

    def pr(self, number: int) -> PRView: ...

    def open_pr_count(self) -> int: ...

    def flux(self, sha: str, name: str, state: str, cluster: str | None) -> None:
        """Post a Flux-style status for kustomization ``name`` on ``sha`` in the forge's own format."""
        ...

    def git(self, *args: str) -> str: ...


def cluster_suffix(cluster: str) -> str:
    """Flux's 8-hex suffix that tells clusters apart in a status context."""
    return hashlib.sha256(cluster.encode()).hexdigest()[:8]


def new(tag: str, *expect: str, app: str = "podinfo", code: int = 0) -> Cli:
    return Cli(("new", "--group", "apps", "--app", app, "--tag", tag), code, expect)


def promote(*expect: str, code: int = 0) -> Cli:
    return Cli(("promote",), code, expect)


def status(*expect: str, code: int = 0, branch: str = BRANCH, timeout: str | None = None) -> Cli:
    extra = ("--timeout", timeout) if timeout is not None else ()
    return Cli(("status", "--branch", branch, *extra), code, expect)


def _hop(pr: int, env: str) -> list[Step]:
    """The PR ``pr`` for ``env`` passes its gate, auto-merges, CI syncs, Flux reconciles the merge."""
    return [Gate(pr), ExpectPR(pr, "merged"), Sync(), Flux(env, "success", on=f"pr:{pr}")]


SCENARIOS: dict[str, list[Step]] = {
    "dev-qa-prod": [
        new("7.0.0", f"created branch {BRANCH} with pull request 1"),
        ExpectPR(1, "open", auto_merge=True, head=BRANCH),
        status("first environment"),
        *_hop(1, "dev"),
        promote("to environment qa"),
        status("successful reconciliation for apps-dev"),
        *_hop(2, "qa"),
        promote("to environment prod", "manual merge"),
        ExpectPR(3, "open", auto_merge=False),
        status("successful reconciliation for apps-qa"),
        Gate(3),
        ExpectPR(3, "open"),  # prod is manual: a green gate does not merge it
        Merge(3),
        Sync(),
        promote("last environment"),
        ExpectDeployed("dev", "7.0.0"),
        ExpectDeployed("qa", "7.0.0"),
        ExpectDeployed("prod", "7.0.0"),
    ],
    "status-late-then-failing-then-green": [
        new("7.1.0"),
        Gate(1),
        Sync(),
        promote("to environment qa"),
        status("timed out", code=1, timeout="0s"),
        Flux("dev", "failure", on="pr:1"),
        status("reconciliation failed for apps-dev", code=1),
        Flux("dev", "success", on="pr:1"),
        status("successful reconciliation for apps-dev"),
    ],
    "flux-skipped-the-merge-commit": [
        new("7.2.0"),
        Gate(1),
        Sync(),
        promote("to environment qa"),
        PushMain(),
        Flux("dev", "success", on="HEAD"),
        status("later than", "successful reconciliation for apps-dev"),
    ],
    "several-clusters-must-all-pass": [
        new("7.3.0"),
        Gate(1),
        Sync(),
        promote(),
        Flux("dev", "success", on="pr:1", cluster="east"),
        Flux("dev", "failure", on="pr:1", cluster="west"),
        status("reconciliation failed for apps-dev", code=1),
        Flux("dev", "success", on="pr:1", cluster="west"),
        status("successful reconciliation for apps-dev"),
    ],
    "legacy-context-without-suffix": [
        new("7.4.0"),
        Gate(1),
        Sync(),
        promote(),
        Flux("dev", "success", on="pr:1", cluster=None),
        status("successful reconciliation for apps-dev"),
    ],
    "rerun-gives-one-pr-one-commit": [
        new("8.0.0", f"created branch {BRANCH} with pull request 1"),
        new("8.0.0", "pull request 1"),
        ExpectOpenPRs(1),
        ExpectPR(1, "open", auto_merge=True),
    ],
    "nothing-to-do-and-direct-push": [
        new("6.4.0", "already runs 6.4.0"),
        ExpectOpenPRs(0),
        Sync(),
        promote("not made by merging a pull request"),
        ExpectOpenPRs(0),
    ],
    "per-app-new-tag-replaces-pending-qa": [
        new("1.1"),
        Gate(1),
        Sync(),
        promote("to environment qa"),
        new("1.2", "replaced pending promotion of apps/podinfo 1.1 to qa"),
        ExpectOpenPRs(1),
    ],
    "per-env-branches": [
        EditConfig("prflow: per-app", "prflow: per-env"),
        new("9.0", "created branch promote/dev/apps-podinfo with pull request 1"),
        *_hop(1, "dev"),
        promote("created branch promote/qa/apps-podinfo"),
        status("successful reconciliation for apps-dev", branch="promote/qa/apps-podinfo"),
        *_hop(2, "qa"),
        promote("created branch promote/prod/apps-podinfo"),
        ExpectPR(3, "open", auto_merge=False, head="promote/prod/apps-podinfo"),
    ],
}


def play(driver: Driver, steps: list[Step]) -> None:
    """Run ``steps`` in order against ``driver``; fails at the first step whose expectation does not hold."""
    for index, step in enumerate(steps, 1):
        where = f"step {index} {step}"
        if isinstance(step, Cli):
            code, output = driver.cli(*step.args)
            assert code == step.code, f"{where}: exit {code}\n{output}"
            for text in step.expect:
                assert text in output, f"{where}: {text!r} not in output\n{output}"
            for text in step.reject:
                assert text not in output, f"{where}: {text!r} in output\n{output}"
        elif isinstance(step, Gate):
            driver.gate(step.pr)
        elif isinstance(step, Merge):
            driver.merge(step.pr)
        elif isinstance(step, Sync):
            driver.git("fetch", "--quiet", "origin")
            driver.git("checkout", "--quiet", "-B", step.branch, f"origin/{step.branch}")
        elif isinstance(step, Flux):
            sha = driver.git("rev-parse", "HEAD") if step.on == "HEAD" else _merge_commit(driver, step.on, where)
            driver.flux(sha, f"apps-{step.env}", step.state, step.cluster)
        elif isinstance(step, (PushMain, EditConfig)):
            _push_main(driver, step)
        else:
            _check(driver, step, where)


def _merge_commit(driver: Driver, ref: str, where: str) -> str:
    sha = driver.pr(int(ref.removeprefix("pr:"))).merge_commit
    assert sha, f"{where}: {ref} has no merge commit"
    return sha


def _push_main(driver: Driver, step: PushMain | EditConfig) -> None:
    driver.git("fetch", "--quiet", "origin")
    driver.git("checkout", "--quiet", "-B", "main", "origin/main")
    if isinstance(step, PushMain):
        path = driver.work / step.path
        path.write_text(step.text, encoding="utf-8")
        driver.git("add", step.path)
        message = "unrelated change"
    else:
        config = driver.work / "gitops-promotion.yaml"
        config.write_text(config.read_text(encoding="utf-8").replace(step.old, step.new), encoding="utf-8")
        driver.git("add", "gitops-promotion.yaml")
        message = "change promotion config"
    driver.git("commit", "--quiet", "-m", message)
    driver.git("push", "--quiet", "origin", "main")


def _check(driver: Driver, step: Step, where: str) -> None:
    if isinstance(step, ExpectPR):
        view = driver.pr(step.pr)
        assert view.state == step.state, f"{where}: PR {step.pr} is {view.state}"
        if step.auto_merge is not None:
            assert view.auto_merge == step.auto_merge, f"{where}: auto-merge is {view.auto_merge}"
        if step.head is not None:
            assert view.head == step.head, f"{where}: head is {view.head}"
    elif isinstance(step, ExpectOpenPRs):
        assert driver.open_pr_count() == step.count, f"{where}: {driver.open_pr_count()} open PRs"
    elif isinstance(step, ExpectDeployed):
        driver.git("fetch", "--quiet", "origin")
        text = driver.git("show", f"origin/main:apps/{step.env}/podinfo.yaml")
        assert f"podinfo:{step.tag} " in text, f"{where}: apps/{step.env} runs\n{text}"
