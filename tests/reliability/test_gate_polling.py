"""The gate's waiting, with an injected clock and sleep (STYLE 6), and GitHub's "unstable status" answer."""

from __future__ import annotations

import os
from pathlib import Path

from gitops_promotion.cli.options import RepoArgs, build_context
from gitops_promotion.commands.status import status
from tests.forge.fixtures import git
from tests.reliability import forges
from tests.reliability.cli_runner import CliRunner
from tests.reliability.conftest import ForgeFactory
from tests.reliability.test_gate_closed import APP, HEAD, Flow, _into_qa, flow

__all__ = ["flow"]  # the fixture, parametrised over both forges


def _args(forge: forges.Forge, work: Path) -> RepoArgs:
    argv = forge.argv()
    option = dict(zip(argv[::2], argv[1::2], strict=True))
    return RepoArgs(
        sourcedir=work,
        config_path=None,
        git_name=None,
        git_email=None,
        output="text",
        verbose=False,
        provider=option["--provider"],
        token=option["--token"],
        api_url=option.get("--api-url"),
    )


def test_polling_sleeps_between_reads_while_flux_is_pending(flow: Flow) -> None:
    """Kills: status.py's polling loop spinning without sleeping (the clock only moves when the gate sleeps)."""
    merge = _into_qa(flow)
    now = [0.0]
    sleeps: list[float] = []
    reads = [0]

    def clock() -> float:
        reads[0] += 1
        assert reads[0] < 200, f"the gate polled {reads[0]} times in {len(sleeps)} sleeps: it spins"
        return now[0]

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        now[0] += seconds
        if len(sleeps) == 3:  # Flux reports while the gate waits
            flow.flux(merge, "dev")

    ctx = build_context(_args(flow.forge, flow.work), dict(os.environ))
    result = status(ctx, branch=HEAD, timeout_s=600, sleep=sleep, clock=clock)
    assert result.exit_code == 0, result.message
    assert len(sleeps) >= 3
    assert all(seconds > 0 for seconds in sleeps), sleeps
    assert sum(sleeps) <= 600


def test_auto_merge_on_an_unstable_pr_merges_it(make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    """Kills: github.py not treating "unstable status" (required checks green, an optional one red) like "clean
    status": GitHub queues neither for auto-merge, so the tool merges the PR itself."""
    forge = make_forge("github", [APP])
    work = forges.checkout(forge, tmp_path / "work")
    flow = Flow(forge, work, cli)
    manual = forges.CONFIG.replace("  - name: dev\n    auto: true\n", "  - name: dev\n    auto: false\n")
    (work / "gitops-promotion.yaml").write_text(manual)
    git(work, "commit", "-qam", "dev is manual")
    flow.ok("new", "--group", "apps", "--app", APP, "--tag", "2.0.0")
    pr = flow.open_pr()
    head = forge.fake.head_sha(pr.number)
    forge.fake.post_status(head, "gate", "success")  # the required check
    forge.fake.post_status(head, "lint", "failure")  # an optional one
    (work / "gitops-promotion.yaml").write_text(forges.CONFIG)
    git(work, "commit", "-qam", "dev is automatic again")
    run = flow.ok("new", "--group", "apps", "--app", APP, "--tag", "2.0.0")
    assert "merged at once" in run.out, run.out
    assert forge.fake.pr(pr.number).merged
