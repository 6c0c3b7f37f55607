"""The dev → qa → prod flow under injected faults: 5xx on 10% of requests, lost answers, rate limits with
Retry-After, dropped connections, slow answers, rejected and raced pushes. Every run must complete, or stop with
one clear error line and leave nothing half-done; none may corrupt anything.
"""

from __future__ import annotations

import json
import random
from functools import partial
from pathlib import Path

import pytest

from tests.reliability import forges, injection, invariants
from tests.reliability.cli_runner import CliRunner
from tests.reliability.conftest import FORGES, ForgeFactory, figure
from tests.reliability.flow import FlowRun, Tally

RUNS = 6


def plan_for(seed: int, error_5xx: float = 0.10) -> forges.FaultPlan:
    return forges.FaultPlan(
        random.Random(seed), error_5xx=error_5xx, lost_reply=0.03, rate_limit=0.03, reset=0.03, slow=0.05
    )


@pytest.mark.slow
@pytest.mark.parametrize("kind", FORGES)
def test_flow_under_random_faults(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, fast_retries: list[float]
) -> None:
    apps = forges.app_names(RUNS)
    forge = make_forge(kind, apps)
    queue = injection.install_push_hook(forge.bare)
    tally = Tally()
    plans = []
    for i, app in enumerate(apps):
        # The last run meets a storm (60% errors): retries give out, so the clean stop is exercised too.
        plans.append(plan_for(1000 + i, error_5xx=0.6 if i == RUNS - 1 else 0.10))
        FlowRun(
            cli,
            forge,
            forges.checkout(forge, tmp_path / app),
            app,
            f"2.{i}.0",
            apps,
            queue,
            random.Random(i),
            tally,
            plan=plans[-1],
        ).run()
    injected: dict[str, int] = {}
    for plan in plans:
        for name, count in plan.counts.items():
            injected[name] = injected.get(name, 0) + count
    figure(
        f"{tally.line(kind)} injected={injected} waits={len(fast_retries)} waited_s={sum(fast_retries):.0f} (virtual)"
    )
    for note in tally.notes:
        figure(f"    {note}")
    assert tally.corrupted == 0, tally.notes
    assert tally.completed + tally.failed_cleanly == RUNS
    assert tally.recovered == tally.failed_cleanly  # a clean stop is one rerun away from done
    assert tally.completed >= RUNS // 2, "retries should carry most runs through 10% errors"
    assert injected.get("error_5xx", 0) > 0 and injected.get("rate_limit", 0) > 0


@pytest.mark.parametrize("kind", FORGES)
def test_rate_limit_waits_for_retry_after(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, fast_retries: list[float]
) -> None:
    """Every request rate-limited once: the run still completes and waited exactly what Retry-After asked."""
    forge = make_forge(kind, ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    plan = forges.FaultPlan(random.Random(1), rate_limit=0.5, retry_after=7)
    forge.set_plan(plan)
    run = cli.run(
        ["new", "--group", "apps", "--app", "app000", "--tag", "2.0.0", "--sourcedir", str(work), *forge.argv()]
    )
    forge.set_plan(None)
    assert run.code == 0, run.err
    assert plan.counts["rate_limit"] >= 1
    assert fast_retries.count(7.0) == plan.counts["rate_limit"], fast_retries
    assert not invariants.problems(forge, ["app000"])


@pytest.mark.parametrize("kind", FORGES)
@pytest.mark.parametrize("when", ["create", "every"])
def test_api_down_after_push_leaves_nothing_half_done(
    kind: str, when: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path
) -> None:
    """The branch is pushed, then the API fails for good: the branch is taken back and the error says so."""
    forge = make_forge(kind, ["app000", "app001"])
    work = forges.checkout(forge, tmp_path / "work")
    # A pending dev PR for app001 first: then the failing run must also put its branch back, not just delete it.
    assert (
        cli.run(
            ["new", "--group", "apps", "--app", "app001", "--tag", "1.5.0", "--sourcedir", str(work), *forge.argv()]
        ).code
        == 0
    )
    before = forge.prs()
    for app in ("app000", "app001"):
        forge.set_plan(forges.FaultPlan(random.Random(2), error_5xx=1.0))
        if when == "create":  # the API works for reads, fails every write
            forge.set_plan(None)
            injection.PROVIDER_HOOKS["create_pr" if app == "app000" else "update_pr"] = partial(
                forge.set_plan, forges.FaultPlan(random.Random(3), error_5xx=1.0)
            )
        run = cli.run(
            ["new", "--group", "apps", "--app", app, "--tag", "9.9.9", "--sourcedir", str(work), *forge.argv()]
        )
        forge.set_plan(None)
        injection.PROVIDER_HOOKS.clear()
        assert run.code == 1, run.out
        assert invariants.one_line_error(run.code, run.out, run.err) is None, run.err
        assert ("deleted" if app == "app000" else "put back") in run.err, run.err
        assert not invariants.problems(forge, ["app000", "app001"])
    assert forge.prs() == before


@pytest.mark.parametrize("kind", FORGES)
def test_rejected_pushes(kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    """Two rejections and a raced push are retried; three rejections stop with the hook's message."""
    forge = make_forge(kind, ["app000", "app001"])
    queue = injection.install_push_hook(forge.bare)
    work = forges.checkout(forge, tmp_path / "work")
    argv = ["new", "--group", "apps", "--tag", "2.0.0", "--sourcedir", str(work), *forge.argv()]
    injection.queue_push_faults(queue, ["reject", "race"])
    run = cli.run([*argv, "--app", "app000"])
    assert run.code == 0, run.err
    assert json.loads(queue.read_text())["queue"] == []  # both faults were met, and retried past
    injection.queue_push_faults(queue, ["reject"] * 3)
    run = cli.run([*argv, "--app", "app001"])
    assert run.code == 1
    assert invariants.one_line_error(run.code, run.out, run.err) is None, run.err
    assert "push declined by policy" in run.err.splitlines()[-1]
    assert "promote/apps-app001" not in git_branches(forge.bare)
    assert not invariants.problems(forge, ["app000", "app001"])


def git_branches(bare: Path) -> str:
    from tests.forge.fixtures import git

    return git(bare, "branch", "--list")


@pytest.mark.parametrize("kind", FORGES)
def test_dropped_connections_are_retried(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, fast_retries: list[float]
) -> None:
    """About a third of the requests (the first among them) lose their connection before any answer: the run
    completes on retries."""
    forge = make_forge(kind, ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    plan = forges.FaultPlan(random.Random(1), reset=0.34)  # seed 1: the first request drops
    forge.set_plan(plan)
    run = cli.run(
        ["new", "--group", "apps", "--app", "app000", "--tag", "2.0.0", "--sourcedir", str(work), *forge.argv()]
    )
    forge.set_plan(None)
    assert run.code == 0, run.err
    assert plan.counts.get("reset", 0) >= 1
    assert len(fast_retries) >= plan.counts["reset"]  # each drop was waited out, not slept for real
    assert not invariants.problems(forge, ["app000"])
