"""Every app promoted at once: `new` for all apps together, then each app's merge and `promote` racing the others,
twice (dev → qa → prod). Checks that nothing is lost, duplicated or leaks into another app's files. Shared by
tests/reliability/test_concurrency.py (50 apps) and benchmarks/bench_concurrency.py (more).
"""

from __future__ import annotations

import time
from collections import Counter
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from tests.forge.fixtures import git
from tests.reliability import forges
from tests.reliability.cli_runner import CliRunner, Run, all_at_once

NEW_TAG = "2.0.0"


@dataclass
class WaveReport:
    apps: int
    runs: int = 0
    prs: int = 0
    merged: int = 0
    open: int = 0
    lost: int = 0
    duplicates: int = 0
    main_commits: int = 0
    seconds: dict[str, float] = field(default_factory=dict)
    requests: dict[str, int] = field(default_factory=dict)

    def line(self, label: str) -> str:
        phases = " ".join(f"{name}={self.seconds[name]:.1f}s/{self.requests[name]}req" for name in self.seconds)
        return (
            f"[concurrency {label}] apps={self.apps} cli_runs={self.runs} prs={self.prs} merged={self.merged} "
            f"open={self.open} lost={self.lost} duplicates={self.duplicates} "
            f"main_commits={self.main_commits} {phases}"
        )


def expected_manifest(app: str, tag: str) -> str:
    """An env file after promoting ``app`` to ``tag``: only the app's own marker line differs."""
    return forges.MANIFEST.format(app=app, tag=forges.OLD_TAG).replace(
        f"apps/{app}:{forges.OLD_TAG}", f"apps/{app}:{tag}"
    )


def promote_after_merge(cli: CliRunner, forge: forges.Forge, work: Path, number: int) -> Run:
    """What the pipeline on the default branch does after a merge: fetch, then `promote` that merge commit."""
    merge = forge.merge(number)
    git(work, "fetch", "--quiet", "origin")
    return cli.run(["promote", "--sha", merge, "--branch", "main", "--sourcedir", str(work), *forge.argv()])


def _new(cli: CliRunner, forge: forges.Forge, work: Path, app: str) -> Run:
    return cli.run(["new", "--group", "apps", "--app", app, "--tag", NEW_TAG, "--sourcedir", str(work), *forge.argv()])


def _assert_ok(runs: list[Run], needle: str) -> None:
    failed = [(r.argv, r.code, r.err.strip()) for r in runs if r.code != 0 or needle not in r.out]
    assert not failed, failed[:3]


def one_pr_per_app_env(forge: forges.Forge) -> dict[tuple[str, str], forges.PRView]:
    """The forge's PRs keyed by (app, env); fails on a PR without state or a second PR for the same pair."""
    prs = forge.prs()
    keys = []
    for pr in prs:
        meta = pr.metadata()
        assert meta is not None, f"PR {pr.number} carries no promotion state"
        assert pr.head == f"promote/apps-{meta['app']}", (pr.number, pr.head, meta)
        keys.append((meta["app"], meta["env"]))
    duplicates = [key for key, n in Counter(keys).items() if n > 1]
    assert not duplicates, f"duplicate PRs: {duplicates[:5]}"
    return dict(zip(keys, prs, strict=True))


def check_history(forge: forges.Forge, by_key: dict[tuple[str, str], forges.PRView]) -> int:
    """main's first-parent history is the seed commit plus exactly the merged PRs, each touching one file."""
    merged = {pr.merge_commit: key for key, pr in by_key.items() if pr.state == "merged" and pr.merge_commit}
    chain = git(forge.bare, "rev-list", "--first-parent", "main").split()
    assert len(chain) == len(merged) + 1, (len(chain), len(merged))
    assert set(chain[:-1]) == set(merged), "a merge is missing from main's first-parent history"
    for commit, (app, env) in merged.items():
        changed = git(forge.bare, "diff", "--name-only", f"{commit}^1", commit).split()
        assert changed == [forges.manifest_path(env, app)], (commit, app, env, changed)
    return len(chain)


def everyone_at_once(cli: CliRunner, forge: forges.Forge, apps: list[str], tmp: Path) -> WaveReport:
    """Run the three waves and check the end state; raises AssertionError on anything lost or misplaced."""
    report = WaveReport(apps=len(apps))
    works = [forges.checkout(forge, tmp / f"ci-{app}") for app in apps]

    def phase(name: str, jobs: list[partial[Run]], needle: str) -> None:
        started, before = time.perf_counter(), forge.request_count()
        runs = all_at_once(jobs)
        report.seconds[name] = time.perf_counter() - started
        report.requests[name] = forge.request_count() - before
        report.runs += len(runs)
        _assert_ok(runs, needle)

    phase(
        "new",
        [partial(_new, cli, forge, work, app) for work, app in zip(works, apps, strict=True)],
        "created branch promote/apps-",
    )
    by_key = one_pr_per_app_env(forge)
    assert sorted(by_key) == sorted((app, "dev") for app in apps)
    # Each app's PR merges while the other apps' promotes push and open PRs: all race.
    for env, next_env in (("dev", "qa"), ("qa", "prod")):
        numbers = [by_key[(app, env)].number for app in apps]
        phase(
            f"merge+promote {env}",
            [partial(promote_after_merge, cli, forge, works[i], numbers[i]) for i in range(len(apps))],
            f"to environment {next_env}",
        )
        by_key = one_pr_per_app_env(forge)

    states = Counter((env, pr.state) for (_app, env), pr in by_key.items())
    count = len(apps)
    assert states == {("dev", "merged"): count, ("qa", "merged"): count, ("prod", "open"): count}, states
    report.main_commits = check_history(forge, by_key)
    for app in apps:
        for env in forges.ENVS:
            text = git(forge.bare, "show", f"main:{forges.manifest_path(env, app)}") + "\n"
            tag = forges.OLD_TAG if env == "prod" else NEW_TAG
            assert text == expected_manifest(app, tag), (app, env)
        prod = by_key[(app, "prod")]
        assert git(forge.bare, "diff", "--name-only", f"main...{prod.head}").split() == [
            forges.manifest_path("prod", app)
        ]
    report.prs = len(by_key)
    report.merged = states[("dev", "merged")] + states[("qa", "merged")]
    report.open = states[("prod", "open")]
    return report
