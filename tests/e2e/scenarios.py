"""Forge-agnostic promotion scenarios, played through the real CLI by each forge's e2e suite in every layout.

A scenario is a list of steps: CLI runs with their expected exit code and output, and what the world does in
between (CI's gate check passes, a human merges, Flux posts a status, someone pushes to an environment). A forge
suite supplies a `Driver` (how to do those things on its fake forge) and calls `play` with a `Layout`
(tests/e2e/layouts.py: environments as directories on main, as branches of their own, or mixed). Steps name
environments, never branches or paths: CLI arguments and expected texts say ``{head:qa}`` (the head branch of a
promotion into qa) or ``{branch:qa}`` (the branch qa lives on), resolved by the layout while playing. The demo's
config (tests/conftest.py `example_repo`): dev and qa auto, prod manual, per-app.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tests.e2e.layouts import CONFIG, DEFAULT, ENVS, LAYOUTS, OWN_FILE, Layout, set_env_branch

BRANCH = "promote/apps-podinfo"  # the head branch of the directory layout with prflow per-app


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
    Cli | Gate | Merge | Sync | Flux | PushTo | HumanPR | EditConfig | MoveEnv
    | ExpectPR | ExpectOpenPRs | ExpectDeployed | ExpectOwnFiles | Naming
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


def _hop(pr: int, env: str) -> list[Step]:
    """The PR ``pr`` for ``env`` passes its gate, auto-merges, CI syncs, Flux reconciles the merge."""
    return [Gate(pr), ExpectPR(pr, "merged"), Sync(env), Flux(env, "success", on=f"pr:{pr}")]


SCENARIOS: dict[str, list[Step]] = {
    "dev-qa-prod": [
        new("7.0.0", "created branch {head:dev} with pull request 1"),
        ExpectPR(1, "open", auto_merge=True, head="{head:dev}", base_env="dev"),
        status("first environment", into="dev"),
        *_hop(1, "dev"),
        promote("to environment qa"),
        ExpectPR(2, "open", auto_merge=True, head="{head:qa}", base_env="qa"),
        status("successful reconciliation for apps-dev", into="qa"),
        *_hop(2, "qa"),
        promote("to environment prod", "manual merge"),
        ExpectPR(3, "open", auto_merge=False, head="{head:prod}", base_env="prod"),
        status("successful reconciliation for apps-qa", into="prod"),
        Gate(3),
        ExpectPR(3, "open"),  # prod is manual: a green gate does not merge it
        Merge(3),
        Sync("prod"),
        promote("reached prod, the last environment"),
        ExpectDeployed("dev", "7.0.0"),
        ExpectDeployed("qa", "7.0.0"),
        ExpectDeployed("prod", "7.0.0"),
        ExpectOwnFiles(),
        ExpectOpenPRs(0),
    ],
    "status-late-then-failing-then-green": [
        new("7.1.0"),
        Gate(1),
        Sync("dev"),
        promote("to environment qa"),
        status("timed out", into="qa", code=1, timeout="0s"),
        Flux("dev", "failure", on="pr:1"),
        status("reconciliation failed for apps-dev", into="qa", code=1),
        Flux("dev", "success", on="pr:1"),
        status("successful reconciliation for apps-dev", into="qa"),
    ],
    "flux-skipped-the-merge-commit": [
        new("7.2.0"),
        Gate(1),
        Sync("dev"),
        promote("to environment qa"),
        PushTo("dev"),
        Flux("dev", "success", on="HEAD"),
        status("later than", "successful reconciliation for apps-dev", into="qa"),
    ],
    "several-clusters-must-all-pass": [
        new("7.3.0"),
        Gate(1),
        Sync("dev"),
        promote(),
        Flux("dev", "success", on="pr:1", cluster="east"),
        Flux("dev", "failure", on="pr:1", cluster="west"),
        status("reconciliation failed for apps-dev", into="qa", code=1),
        Flux("dev", "success", on="pr:1", cluster="west"),
        status("successful reconciliation for apps-dev", into="qa"),
    ],
    "legacy-context-without-suffix": [
        new("7.4.0"),
        Gate(1),
        Sync("dev"),
        promote(),
        Flux("dev", "success", on="pr:1", cluster=None),
        status("successful reconciliation for apps-dev", into="qa"),
    ],
    "rerun-gives-one-pr-one-commit": [
        new("8.0.0", "created branch {head:dev} with pull request 1"),
        new("8.0.0", "pull request 1"),
        ExpectOpenPRs(1),
        ExpectPR(1, "open", auto_merge=True),
    ],
    "nothing-to-do-and-direct-push": [
        new("6.4.0", "already runs 6.4.0"),
        ExpectOpenPRs(0),
        Sync("dev"),
        promote("on {branch:dev} was not made by merging a pull request; nothing to promote"),
        ExpectOpenPRs(0),
    ],
    "direct-push-to-the-next-env-is-skipped": [
        new("7.5.0"),
        *_hop(1, "dev"),
        promote("to environment qa"),
        PushTo("qa", "apps/notes.txt", "hotfix by hand\n"),
        Sync("qa"),
        promote("on {branch:qa} was not made by merging a pull request; nothing to promote"),
        ExpectOpenPRs(1),
        ExpectPR(2, "open", head="{head:qa}"),
    ],
    "pr-not-made-by-the-tool-is-skipped": [
        HumanPR(1, "qa"),
        Gate(1),
        Merge(1),
        Sync("qa"),
        promote("pull request 1 was not opened by gitops-promotion; nothing to promote"),
        ExpectOpenPRs(0),
    ],
    "new-tag-while-qa-is-pending": [
        new("1.1"),
        Gate(1),
        Sync("dev"),
        promote("to environment qa"),
        Naming(
            # One branch per app: the new tag takes over the pending qa promotion's branch and PR.
            per_app=(new("1.2", "replaced pending promotion of apps/podinfo 1.1 to qa"), ExpectOpenPRs(1)),
            # One branch per environment: dev gets its own PR; qa's stays pending with 1.1.
            per_env=(
                new("1.2", "created branch {head:dev} with pull request 3", reject=("replaced",)),
                ExpectOpenPRs(2),
                ExpectPR(2, "open", head="{head:qa}"),
            ),
        ),
    ],
    "per-env-branches": [
        EditConfig("prflow: per-app", "prflow: per-env"),
        new("9.0", "created branch promote/dev/apps-podinfo with pull request 1"),
        *_hop(1, "dev"),
        promote("created branch promote/qa/apps-podinfo"),
        status("successful reconciliation for apps-dev", into="qa"),
        *_hop(2, "qa"),
        promote("created branch promote/prod/apps-podinfo"),
        ExpectPR(3, "open", auto_merge=False, head="promote/prod/apps-podinfo", base_env="prod"),
    ],
    "env-branch-missing-on-the-remote": [
        MoveEnv("qa", "nowhere"),
        new("9.1"),
        Gate(1),
        Sync("dev"),
        promote(
            "environment qa (branch: in gitops-promotion.yaml): branch 'nowhere' does not exist on remote 'origin'",
            code=1,
        ),
        ExpectOpenPRs(0),
    ],
}

# Scenarios whose meaning belongs to some layouts only; every other scenario runs in every layout.
ONLY_IN: dict[str, tuple[str, ...]] = {}


def cases() -> list[tuple[str, str]]:
    """(layout, scenario) pairs a forge suite parametrises over."""
    return [
        (layout, name)
        for layout in LAYOUTS
        for name in sorted(SCENARIOS)
        if layout in ONLY_IN.get(name, tuple(LAYOUTS))
    ]


@dataclass
class _Play:
    """What playing has learned so far: the layout, and whether head branches are now per environment."""

    layout: Layout
    per_env: bool = field(default=False)

    def resolve(self, text: str) -> str:
        """Replace ``{head:env}`` and ``{branch:env}`` with this layout's names."""

        def name(match: re.Match[str]) -> str:
            kind, env = match.group(1), match.group(2)
            if kind == "head":
                return self.layout.head(env, per_env=self.per_env)
            return self.layout.branch(env)

        return re.sub(r"\{(head|branch):(\w+)\}", name, text)


def play(driver: Driver, steps: list[Step], layout: Layout = LAYOUTS["directory"]) -> None:
    """Run ``steps`` in order against ``driver`` in ``layout`` (already applied to the repository); fails at
    the first step whose expectation does not hold."""
    _run(driver, steps, _Play(layout, per_env=layout.per_env))


def _run(driver: Driver, steps: list[Step] | tuple[Step, ...], state: _Play) -> None:
    layout = state.layout
    for index, step in enumerate(steps, 1):
        where = f"step {index} {step} ({layout.name} layout)"
        if isinstance(step, Naming):
            _run(driver, step.per_env if state.per_env else step.per_app, state)
        elif isinstance(step, Cli):
            code, output = driver.cli(*(state.resolve(arg) for arg in step.args))
            assert code == step.code, f"{where}: exit {code}\n{output}"
            for text in map(state.resolve, step.expect):
                assert text in output, f"{where}: {text!r} not in output\n{output}"
            for text in map(state.resolve, step.reject):
                assert text not in output, f"{where}: {text!r} in output\n{output}"
        elif isinstance(step, Gate):
            driver.gate(step.pr)
        elif isinstance(step, Merge):
            driver.merge(step.pr)
        elif isinstance(step, Sync):
            driver.git("fetch", "--quiet", "origin")
            driver.git("checkout", "--quiet", "--detach", f"origin/{layout.branch(step.env)}")
            driver.pushed(layout.branch(step.env))
        elif isinstance(step, Flux):
            sha = driver.git("rev-parse", "HEAD") if step.on == "HEAD" else _merge_commit(driver, step.on, where)
            driver.flux(sha, f"apps-{step.env}", step.state, step.cluster)
        elif isinstance(step, PushTo):
            _push_to(driver, layout.branch(step.env), step.path, step.text)
        elif isinstance(step, HumanPR):
            _push_to(driver, layout.branch(step.env), "README.md", "docs by hand\n", branch="docs")
            number = driver.open_pr("docs", layout.branch(step.env))
            assert number == step.pr, f"{where}: opened pull request {number}"
        elif isinstance(step, (EditConfig, MoveEnv)):
            _edit_config(driver, layout, step)
            state.per_env = state.per_env or isinstance(step, MoveEnv) or "prflow: per-env" in step.new
        else:
            _check(driver, step, state, where)


def _checkout(driver: Driver, branch: str) -> None:
    driver.git("fetch", "--quiet", "origin")
    driver.git("checkout", "--quiet", "-B", branch, f"origin/{branch}")


def _merge_commit(driver: Driver, ref: str, where: str) -> str:
    sha = driver.pr(int(ref.removeprefix("pr:"))).merge_commit
    assert sha, f"{where}: {ref} has no merge commit"
    return sha


def _push_to(driver: Driver, base: str, path: str, text: str, *, branch: str | None = None) -> None:
    """Commit ``path`` on top of origin's ``base`` and push it to ``branch`` (default: ``base`` itself)."""
    _checkout(driver, base)
    if branch is not None:
        driver.git("checkout", "--quiet", "-B", branch)
    (driver.work / path).write_text(text, encoding="utf-8")
    driver.git("add", path)
    driver.git("commit", "--quiet", "-m", "unrelated change")
    driver.git("push", "--quiet", "origin", branch or base)


def _edit_config(driver: Driver, layout: Layout, step: EditConfig | MoveEnv) -> None:
    for branch in layout.config_branches:
        _checkout(driver, branch)
        config = driver.work / CONFIG
        text = config.read_text(encoding="utf-8")
        if isinstance(step, EditConfig):
            assert step.old in text, f"{step.old!r} not in {CONFIG} on {branch}"
            text = text.replace(step.old, step.new)
        else:
            text = set_env_branch(text, step.env, step.branch)
        config.write_text(text, encoding="utf-8")
        driver.git("add", CONFIG)
        driver.git("commit", "--quiet", "-m", "change promotion config")
        driver.git("push", "--quiet", "origin", branch)
    _checkout(driver, DEFAULT)


def _check(driver: Driver, step: Step, state: _Play, where: str) -> None:
    layout = state.layout
    if isinstance(step, ExpectPR):
        view = driver.pr(step.pr)
        assert view.state == step.state, f"{where}: PR {step.pr} is {view.state}"
        if step.auto_merge is not None:
            assert view.auto_merge == step.auto_merge, f"{where}: auto-merge is {view.auto_merge}"
        if step.head is not None:
            assert view.head == state.resolve(step.head), f"{where}: head is {view.head}"
        if step.base_env is not None:
            assert view.base == layout.branch(step.base_env), f"{where}: base is {view.base}"
    elif isinstance(step, ExpectOpenPRs):
        assert driver.open_pr_count() == step.count, f"{where}: {driver.open_pr_count()} open PRs"
    elif isinstance(step, ExpectDeployed):
        driver.git("fetch", "--quiet", "origin")
        branch, path = layout.branch(step.env), layout.manifest(step.env)
        text = driver.git("show", f"origin/{branch}:{path}")
        assert f"podinfo:{step.tag} " in text, f"{where}: {branch}:{path} runs\n{text}"
    elif isinstance(step, ExpectOwnFiles):
        driver.git("fetch", "--quiet", "origin")
        for env in ENVS:
            branch, own = layout.branch(env), f"{layout.directory(env)}/{OWN_FILE}"
            assert driver.git("show", f"origin/{branch}:{own}") == env, f"{where}: {branch}:{own} changed"
            if env in layout.branches:
                tree = driver.git("ls-tree", "-r", "--name-only", f"origin/{branch}").split()
                strays = [p for p in tree if p.startswith(tuple(f"apps/{o}/" for o in ENVS))]
                assert not strays, f"{where}: {branch} holds {strays}"
