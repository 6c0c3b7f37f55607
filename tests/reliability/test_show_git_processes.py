"""How many git processes `show` starts (issue 17): one pickaxe log per branch, not one per environment."""

from __future__ import annotations

from pathlib import Path

from tests.reliability import forges
from tests.reliability.cli_runner import CliRunner
from tests.reliability.conftest import ForgeFactory
from tests.reliability.test_git_processes import git_log, log_length, runs_in

__all__ = ["git_log"]  # the fixture, shared with test_git_processes

# show: open the repo, config, default branch, fetch, shallow check, the branch's commit, grep and cat-file of
# the markers at the head, ONE log for its three environments (it was one per environment: 3).
SHOW_MAX = 9


def test_show_starts_few_git_processes(make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, git_log: Path) -> None:
    forge = make_forge("github", forges.app_names(3))
    work = forges.checkout(forge, tmp_path / "work").resolve()
    argv = ["--sourcedir", str(work), *forge.argv()]
    start = log_length(git_log)
    run = cli.run(["show", "--offline", *argv])
    assert run.code == 0, run.err
    runs = runs_in(git_log, work, start)
    assert sum(r.startswith("log") for r in runs) == 1, "\n".join(runs)
    assert 0 < len(runs) <= SHOW_MAX, "\n".join(runs)
