"""How many git processes `new` and `promote` start (issue 17: at most about ten, down from 24 and 76).

A `git` shim first on PATH logs every invocation with its working directory before running the real git; the
fake forge runs git too (in its bare repository), so only the runs in the checkout count.
"""

from __future__ import annotations

import json
import shutil
import stat
from pathlib import Path

import pytest

from tests.forge.fixtures import git
from tests.reliability import forges
from tests.reliability.cli_runner import CliRunner
from tests.reliability.conftest import ForgeFactory

# new: open the repo (one rev-parse: the top, HEAD for the metadata's sha, the default branch origin/HEAD names),
# read config, status (started first, it runs while the remote is asked), one ls-remote (head and every env
# branch), fetch, checkout, commit (its summary names the new sha), push, checkout back (in the background while
# the PR is written), the overtaken check.
NEW_MAX = 10
# promote: the event (open, config, grep + cat-file for the previous tag, status, ls-remote, the rerun's rev-parse
# and fetch, checkout, commit, the rerun check, push, checkout back, the overtaken check) and, read in a thread
# meanwhile, what every environment runs for the catch-up of issue 13 (shallow check, one rev-parse per env branch,
# grep, cat-file, one pickaxe log for the branch the envs live on), kept after one rev-parse proves the event's
# fetch left the env branch where the read saw it; then the catch-up's merge-base.
PROMOTE_MAX = 21


@pytest.fixture
def git_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Put a logging git shim first on PATH; returns the log (one ``cwd<TAB>args`` line per process)."""
    real = shutil.which("git")
    assert real, "git is required"
    shim_dir = tmp_path / "shim"
    shim_dir.mkdir()
    log = tmp_path / "git.log"
    shim = shim_dir / "git"
    shim.write_text(f'#!/bin/sh\nprintf "%s\\t%s\\n" "$PWD" "$*" >> "{log}"\nexec "{real}" "$@"\n')
    shim.chmod(shim.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{shim_dir}:{Path(real).parent}")
    return log


def runs_in(log: Path, work: Path, start: int) -> list[str]:
    lines = log.read_text().splitlines()[start:] if log.exists() else []
    return [line.split("\t", 1)[1] for line in lines if Path(line.split("\t", 1)[0]) == work]


def log_length(log: Path) -> int:
    return len(log.read_text().splitlines()) if log.exists() else 0


def test_new_and_promote_start_few_git_processes(
    make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, git_log: Path
) -> None:
    forge = make_forge("github", forges.app_names(30))
    work = forges.checkout(forge, tmp_path / "work").resolve()
    argv = ["--sourcedir", str(work), *forge.argv()]

    start = log_length(git_log)
    run = cli.run(["new", "--group", "apps", "--app", "app007", "--tag", "2.0.0", *argv])
    assert run.code == 0, run.err
    assert "created branch promote/apps-app007 with pull request" in run.out
    new_runs = runs_in(git_log, work, start)
    assert 0 < len(new_runs) <= NEW_MAX, "\n".join(new_runs)
    assert sum(r.startswith("status") for r in new_runs) == 1, "\n".join(new_runs)
    assert not any(r.startswith("version") for r in new_runs)

    number = next(pr.number for pr in forge.prs() if pr.state == "open")
    merge = forge.merge(number)
    git(work, "fetch", "-q", "origin")  # CI checks the merge commit out
    start = log_length(git_log)
    run = cli.run(["promote", "--sha", merge, "--branch", "main", *argv])
    assert run.code == 0, run.err
    assert "created branch promote/apps-app007 with pull request" in run.out
    assert "to environment qa" in run.out
    promote_runs = runs_in(git_log, work, start)
    assert 0 < len(promote_runs) <= PROMOTE_MAX, "\n".join(promote_runs)
    # One fetch, and one read of every environment: the event's fetch left the env branch where the read saw it.
    assert sum(r.startswith("fetch") for r in promote_runs) == 1, "\n".join(promote_runs)
    assert sum(r.startswith("log --first-parent") for r in promote_runs) == 1, "\n".join(promote_runs)
    # The previous environment's tag is read through one cat-file, never one `git show` per candidate file.
    assert not any(r.startswith("show") for r in promote_runs), "\n".join(promote_runs)
    # The checkout is back where it was, and the promotion branch holds the edit.
    assert runs_in(git_log, work, 0)  # sanity: the shim saw the checkout's runs
    head = (work / ".git" / "HEAD").read_text().strip()
    assert head == "ref: refs/heads/main"


def test_promote_whose_event_fetched_nothing_fetches_for_the_catch_up(
    make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, git_log: Path
) -> None:
    """A push no PR made opens nothing: the catch-up must fetch the env branches itself, and does find the gap."""
    forge = make_forge("github", forges.app_names(3))
    work = forges.checkout(forge, tmp_path / "work").resolve()
    argv = ["--sourcedir", str(work), *forge.argv()]
    assert cli.run(["new", "--group", "apps", "--app", "app001", "--tag", "2.0.0", *argv]).code == 0
    forge.merge(next(pr.number for pr in forge.prs() if pr.state == "open"))  # merged; its promote run was lost
    head = git(work, "rev-parse", "HEAD")  # the clone has not seen the merge
    start = log_length(git_log)
    run = cli.run(["promote", "--sha", head, "--branch", "main", *argv])
    assert run.code == 0, run.err
    assert "was not made by merging a pull request" in run.out
    assert "catch-up: apps/app001: caught up 2.0.0 to qa" in run.out, run.out
    runs = runs_in(git_log, work, start)
    assert sum(r.startswith("fetch") for r in runs) >= 2, "\n".join(runs)  # the catch-up's, then its hop's


@pytest.mark.parametrize("kind", ["github", "azdo"])
def test_show_lists_open_pull_requests_once(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path
) -> None:
    forge = make_forge(kind, forges.app_names(3))
    work = forges.checkout(forge, tmp_path / "work")
    argv = ["--sourcedir", str(work), *forge.argv()]
    for app in forges.app_names(3):
        run = cli.run(["new", "--group", "apps", "--app", app, "--tag", "2.0.0", *argv])
        assert run.code == 0, run.err
    before = forge.request_count()
    run = cli.run(["show", "--output", "json", *argv])
    assert run.code == 0, run.err
    assert run.out.count("promote/apps-app") == 3, run.out
    requests = forge.fake.requests[before:]
    paths = [str(getattr(r, "path", r)).split("?")[0] for r in requests]
    listings = [path for path in paths if path.endswith(("/pulls", "/pullRequests"))]
    assert len(listings) == 1, "\n".join(map(str, requests))


def test_show_reads_every_gate_in_one_graphql_query(make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    """Gates open, closed and waiting, read in one query the fake validates against GitHub's GraphQL schema."""
    forge = make_forge("github", forges.app_names(3))
    work = forges.checkout(forge, tmp_path / "work")
    argv = ["--sourcedir", str(work), *forge.argv()]
    verdicts = {"app000": "success", "app001": "failure", "app002": None}
    for app, verdict in verdicts.items():
        assert cli.run(["new", "--group", "apps", "--app", app, "--tag", "2.0.0", *argv]).code == 0
        number = next(pr.number for pr in forge.prs() if pr.state == "open" and pr.head.endswith(app))
        merge = forge.merge(number)
        git(work, "fetch", "-q", "origin")
        run = cli.run(["promote", "--sha", merge, "--branch", "main", *argv])
        assert run.code == 0, run.err
        if verdict:
            forge.fake.post_status(merge, "kustomization/apps-dev/0a1b2c3d", "pending")  # older, replaced below
            forge.fake.post_status(merge, "kustomization/apps-dev/0a1b2c3d", verdict)
    before = forge.request_count()
    run = cli.run(["show", "--output", "json", *argv])
    assert run.code == 0, run.err
    pending = json.loads(run.out)["pending"]
    gates = {p["app"]: (p["env"], p["gate"]) for p in pending}
    assert gates == {"app000": ("qa", "open"), "app001": ("qa", "closed"), "app002": ("qa", "waiting")}
    requests = [str(r) for r in forge.fake.requests[before:]]
    assert sum("/statuses" in r for r in requests) == 0, "\n".join(requests)
    assert sum(r.startswith("POST /graphql") for r in requests) == 1, "\n".join(requests)
