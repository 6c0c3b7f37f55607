"""`reconcile` racing `promote`, another `reconcile` and `new` on both fake forges: promote runs were lost for
four apps; the racing runs must leave exactly one PR per app whose branch deploys what its text says."""

from __future__ import annotations

from functools import partial
from pathlib import Path

import pytest

from tests.forge.fixtures import git
from tests.reliability import forges
from tests.reliability.cli_runner import CliRunner, all_at_once
from tests.reliability.conftest import FORGES, ForgeFactory, figure

APPS = forges.app_names(4)


@pytest.mark.parametrize("kind", FORGES)
def test_reconcile_racing_promote_reconcile_and_new(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path
) -> None:
    forge = make_forge(kind, APPS)
    merges = {}
    for app in APPS:  # a burst of merges into dev whose promote runs never happened
        work = forges.checkout(forge, tmp_path / f"new-{app}")
        run = cli.run(
            ["new", "--group", "apps", "--app", app, "--tag", "2.0.0", "--sourcedir", str(work), *forge.argv()]
        )
        assert run.code == 0, run.err
        pr = next(p for p in forge.prs() if p.state == "open")
        merges[app] = forge.merge(pr.number)
    works = [forges.checkout(forge, tmp_path / f"race-{i}") for i in range(4)]
    runs = all_at_once(
        [
            partial(cli.run, ["reconcile", "--sourcedir", str(works[0]), *forge.argv()]),
            partial(
                cli.run,
                ["promote", "--sha", merges[APPS[0]], "--branch", "main", "--sourcedir", str(works[1]), *forge.argv()],
            ),
            partial(cli.run, ["reconcile", "--sourcedir", str(works[2]), *forge.argv()]),
            partial(
                cli.run,
                [
                    "new",
                    "--group",
                    "apps",
                    "--app",
                    APPS[1],
                    "--tag",
                    "3.0.0",
                    "--sourcedir",
                    str(works[3]),
                    *forge.argv(),
                ],
            ),
        ]
    )
    assert all(r.code == 0 for r in runs), [(r.argv[0], r.code, r.out, r.err) for r in runs]
    open_prs = [pr for pr in forge.prs() if pr.state == "open"]
    per_app: dict[str, list[forges.PRView]] = {}
    for pr in open_prs:
        meta = pr.metadata()
        assert meta is not None, pr
        per_app.setdefault(meta["app"], []).append(pr)
        content = git(forge.bare, "show", f"{pr.head}:{forges.manifest_path(meta['env'], meta['app'])}")
        assert f"apps/{meta['app']}:{meta['tag']} #" in content, ("PR text and branch disagree", pr, content)
    assert sorted(per_app) == APPS, per_app
    assert all(len(prs) == 1 for prs in per_app.values()), per_app
    for app in (APPS[0], APPS[2], APPS[3]):  # nobody else touched them: the lost qa promotion is open
        meta = per_app[app][0].metadata()
        assert meta is not None and (meta["env"], meta["tag"]) == ("qa", "2.0.0"), meta
    # APPS[1]: the newer dev build wins its shared branch, or the catch-up yielded to it; either way one PR.
    meta = per_app[APPS[1]][0].metadata()
    assert meta is not None and (meta["env"], meta["tag"]) in {("dev", "3.0.0"), ("qa", "2.0.0")}, meta
    assert not forge.violations()
    figure(f"[reconcile race {kind}] apps={len(APPS)} open_prs={len(open_prs)} one_per_app=yes consistent=yes")
