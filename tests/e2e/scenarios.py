"""Forge-agnostic promotion scenarios, played through the real CLI by each forge's e2e suite in every layout.

A scenario is a list of steps: CLI runs with their expected exit code and output, and what the world does in
between (CI's gate check passes, a human merges, Flux posts a status, someone pushes to an environment). A forge
suite supplies a `Driver` (how to do those things on its fake forge) and calls `play` with a `Layout`
(tests/e2e/layouts.py: environments as directories on main, as branches of their own, or mixed); the steps and
the Driver are in tests/e2e/steps.py. The demo's config (tests/conftest.py `example_repo`): dev and qa auto,
prod manual, per-app.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from tests.e2e.layouts import CONFIG, DEFAULT, ENVS, LAYOUTS, OWN_FILE, Layout, set_env_branch
from tests.e2e.steps import (
    Cli,
    Driver,
    EditConfig,
    ExpectCommits,
    ExpectDeployed,
    ExpectOpenPRs,
    ExpectOwnFiles,
    ExpectPR,
    Flux,
    Gate,
    HumanPR,
    Merge,
    MoveEnv,
    Naming,
    PushTo,
    Step,
    Sync,
    new,
    promote,
    status,
)

BRANCH = "promote/apps-podinfo"  # the head branch of the directory layout with prflow per-app


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
        ExpectCommits("dev", 1),
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
        # Found by the first run, before it pushes anything, not when the promotion reaches qa (issue 14, item 7).
        new(
            "9.1",
            "environment qa (branch: in gitops-promotion.yaml): branch 'nowhere' does not exist on remote 'origin'",
            code=1,
        ),
        ExpectOpenPRs(0),
    ],
}

# Scenarios whose meaning belongs to some layouts only; every other scenario runs in every layout.
ONLY_IN: dict[str, tuple[str, ...]] = {
    # prflow: per-env changes how head branches are named only where they are not per environment already.
    "per-env-branches": ("directory",),
}


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
    elif isinstance(step, ExpectCommits):
        driver.git("fetch", "--quiet", "origin")
        head, base = state.resolve(f"{{head:{step.into}}}"), layout.branch(step.into)
        count = driver.git("rev-list", "--count", f"origin/{base}..origin/{head}")
        assert count == str(step.count), f"{where}: {head} holds {count} commits on {base}"
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
