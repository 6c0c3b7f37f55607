"""`show` on Azure DevOps reads every open PR's gate statuses in one `commitsbatch` request (issue 17)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.forge.fixtures import git
from tests.reliability import forges
from tests.reliability.cli_runner import CliRunner
from tests.reliability.conftest import ForgeFactory


def test_show_reads_every_azure_gate_in_one_batch(make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    """Gates open, closed and waiting as before, from one batch instead of one status listing per PR."""
    forge = make_forge("azdo", forges.app_names(3))
    assert isinstance(forge, forges.AzureForge)
    work = forges.checkout(forge, tmp_path / "work")
    argv = ["--sourcedir", str(work), *forge.argv()]
    verdicts = {"app000": "succeeded", "app001": "failed", "app002": None}
    merges = []
    for app, verdict in verdicts.items():
        assert cli.run(["new", "--group", "apps", "--app", app, "--tag", "2.0.0", *argv]).code == 0
        number = next(pr.number for pr in forge.prs() if pr.state == "open" and pr.head.endswith(app))
        merge = forge.merge(number)
        merges.append(merge)
        git(work, "fetch", "-q", "origin")
        run = cli.run(["promote", "--sha", merge, "--branch", "main", *argv])
        assert run.code == 0, run.err
        if verdict:
            forge.fake.post_status(merge, "pending", "kustomization/apps-dev/0a1b2c3d")  # older, replaced below
            forge.fake.post_status(merge, verdict, "kustomization/apps-dev/0a1b2c3d")
    before = forge.request_count()
    run = cli.run(["show", "--output", "json", *argv])
    assert run.code == 0, run.err
    gates = {p["app"]: (p["env"], p["gate"]) for p in json.loads(run.out)["pending"]}
    assert gates == {"app000": ("qa", "open"), "app001": ("qa", "closed"), "app002": ("qa", "waiting")}
    requests = forge.fake.requests[before:]
    batches = [r for r in requests if r.method == "POST" and r.path.lower().endswith("/commitsbatch")]
    assert len(batches) == 1 and sorted(batches[0].body["ids"]) == sorted(merges)
    listings = [r.path for r in requests if r.method == "GET" and r.path.endswith("/statuses")]
    assert listings == [], listings
    assert forge.violations() == []
