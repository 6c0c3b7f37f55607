"""Staged: `new` pushes the app's branch and opens its PR after `reconcile` listed the open PRs and before it
opens the catch-up. The catch-up must yield (the branch carries a promotion in flight), never overwrite it."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from tests.forge.fixtures import git
from tests.reliability import forges, injection
from tests.reliability.cli_runner import CliRunner, Run
from tests.reliability.conftest import FORGES, ForgeFactory


@pytest.mark.parametrize("kind", FORGES)
def test_catch_up_yields_to_a_new_that_pushed_after_the_listing(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path
) -> None:
    forge = make_forge(kind, ["app000"])
    work = forges.checkout(forge, tmp_path / "first")
    first = cli.run(
        ["new", "--group", "apps", "--app", "app000", "--tag", "2.0.0", "--sourcedir", str(work), *forge.argv()]
    )
    assert first.code == 0, first.err
    forge.merge(next(p.number for p in forge.prs() if p.state == "open"))  # its promote run is lost
    runs: dict[str, Run] = {}

    def newer_build() -> None:  # inside reconcile, after it listed the open PRs (none)
        other = forges.checkout(forge, tmp_path / "newer")
        argv = ["new", "--group", "apps", "--app", "app000", "--tag", "3.0.0", "--sourcedir", str(other)]

        def run() -> None:
            runs["new"] = cli.run([*argv, *forge.argv()])

        thread = threading.Thread(target=run)  # its own output buffer
        thread.start()
        thread.join()

    injection.PROVIDER_HOOKS["pr_for_commit"] = newer_build
    rec = cli.run(["reconcile", "--sourcedir", str(forges.checkout(forge, tmp_path / "rec")), *forge.argv()])
    assert runs["new"].code == 0, runs["new"].err
    assert rec.code == 0, rec.err
    assert "left to another run: promote/apps-app000 carries a promotion in flight" in rec.out, rec.out
    open_prs = [pr for pr in forge.prs() if pr.state == "open"]
    assert len(open_prs) == 1
    meta = open_prs[0].metadata()
    assert meta == {"app": "app000", "tag": "3.0.0", "env": "dev"}, meta
    content = git(forge.bare, "show", f"promote/apps-app000:{forges.manifest_path('dev', 'app000')}")
    assert "apps/app000:3.0.0 #" in content
