"""One dev → qa → prod promotion driven through the CLI under injected faults, with the invariants checked after
every step. Shared by tests/reliability/test_faults.py and benchmarks/bench_faults.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from pathlib import Path

from tests.forge.fixtures import git
from tests.reliability import forges, injection, invariants
from tests.reliability.cli_runner import CliRunner, Run

HOPS = (("dev", "qa"), ("qa", "prod"), ("prod", None))


@dataclass
class Tally:
    runs: int = 0
    completed: int = 0
    failed_cleanly: int = 0
    corrupted: int = 0
    recovered: int = 0  # failed cleanly, then the same step rerun without faults finished it
    steps: int = 0
    push_faults: int = 0
    notes: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        return (
            f"[faults {label}] runs={self.runs} completed={self.completed} failed_cleanly={self.failed_cleanly} "
            f"corrupted={self.corrupted} recovered_on_rerun={self.recovered} cli_steps={self.steps} "
            f"push_faults={self.push_faults}"
        )


@dataclass
class FlowRun:
    """Drives one app through the flow; ``plan`` injects API faults, ``push_queue`` server-side push faults."""

    cli: CliRunner
    forge: forges.Forge
    work: Path
    app: str
    tag: str
    apps: list[str]
    push_queue: Path
    rng: random.Random
    tally: Tally
    plan: forges.FaultPlan | None = None
    push_fault_rate: float = 0.2

    def _queue_push_faults(self) -> None:
        roll = self.rng.random()
        if roll < self.push_fault_rate / 2:
            actions = ["reject"] * self.rng.choice([1, 2, 3])  # 3 exhausts the tool's attempts: a clean stop
        elif roll < self.push_fault_rate:
            actions = ["race"]
        else:
            actions = []
        self.tally.push_faults += len(actions)
        injection.queue_push_faults(self.push_queue, actions)

    def _cli(self, argv: list[str]) -> Run:
        self.tally.steps += 1
        return self.cli.run([*argv, "--sourcedir", str(self.work), *self.forge.argv()])

    def _step(self, argv: list[str], expect: str) -> str:
        """Run one CLI step under faults: "ok", "failed" (cleanly; a clean rerun then finished it) or "corrupted"."""
        self._queue_push_faults()
        before = (git(self.forge.bare, "for-each-ref"), self.forge.prs())
        self.forge.set_plan(self.plan)
        run = self._cli(argv)
        self.forge.set_plan(None)
        injection.queue_push_faults(self.push_queue, [])
        broken = invariants.problems(self.forge, self.apps)
        if "nothing changed" in run.err and (git(self.forge.bare, "for-each-ref"), self.forge.prs()) != before:
            broken.append("the error says nothing changed, but refs or PRs did")
        if run.code == 0 and expect not in run.out:
            broken.append(f"exit 0 without {expect!r}: {run.out!r}")
        if run.code != 0:
            unclear = invariants.one_line_error(run.code, run.out, run.err)
            if unclear:
                broken.append(unclear)
        if broken:
            self.tally.notes.append(f"{self.app} {argv[0]}: {broken[:3]}")
            return "corrupted"
        if run.code == 0:
            return "ok"
        self.tally.notes.append(f"{self.app} {argv[0]} stopped: {run.err.strip().splitlines()[-1]}")
        rerun = self._cli(argv)
        if rerun.code == 0 and expect in rerun.out and not invariants.problems(self.forge, self.apps):
            self.tally.recovered += 1
        return "failed"

    def _open_pr(self, env: str) -> forges.PRView:
        for pr in self.forge.prs():
            meta = pr.metadata()
            if pr.state == "open" and meta and (meta["app"], meta["env"]) == (self.app, env):
                return pr
        raise AssertionError(f"no open PR for {self.app} in {env}")

    def run(self) -> str:
        """The whole flow; returns and tallies "completed", "failed" or "corrupted"."""
        self.tally.runs += 1
        outcome = self._step(
            ["new", "--group", "apps", "--app", self.app, "--tag", self.tag], f"created branch promote/apps-{self.app}"
        )
        for env, next_env in HOPS:
            if outcome != "ok":
                break
            merge = self.forge.merge(self._open_pr(env).number)
            git(self.work, "fetch", "--quiet", "origin")
            expect = f"to environment {next_env}" if next_env else "the last environment"
            outcome = self._step(["promote", "--sha", merge, "--branch", "main"], expect)
        result = {"ok": "completed", "failed": "failed", "corrupted": "corrupted"}[outcome]
        if result == "completed":
            self.tally.completed += 1
        elif result == "failed":
            self.tally.failed_cleanly += 1
        else:
            self.tally.corrupted += 1
        return result
