"""`status` waits its whole timeout: the last poll happens at the deadline, never one back-off early."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from gitops_promotion.cli.options import RepoArgs, build_context
from gitops_promotion.commands.status import status
from gitops_promotion.providers.local import LocalForge
from tests.conftest import git

BRANCH = "promote/apps-podinfo"


class FakeTime:
    """A clock that only moves when the command sleeps; records every sleep."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def waiting_qa(example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> tuple[Path, LocalForge, str]:
    """A promotion into qa waiting for dev's Flux status on the dev merge commit."""
    remote, work = example_repo
    forge = LocalForge(remote)
    base = ["--sourcedir", str(work), "--provider", "local"]
    assert main(["new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0", *base]) == 0
    merge_dev = forge.merge(1)
    git(work, "fetch", "--quiet", "origin")
    git(work, "checkout", "--quiet", "-B", "main", "origin/main")
    assert main(["promote", *base]) == 0
    capsys.readouterr()
    return work, forge, merge_dev


def _ctx(work: Path):  # type: ignore[no-untyped-def] # the Context type is what build_context returns
    args = RepoArgs(
        sourcedir=work, config_path=None, git_name=None, git_email=None, output="text", verbose=False, provider="local"
    )
    return build_context(args, {})


@pytest.mark.parametrize("timeout", [8.0, 100.0, 0.0])
def test_times_out_only_after_the_whole_timeout(waiting_qa: tuple[Path, LocalForge, str], timeout: float) -> None:
    work, _forge, _merge = waiting_qa
    time = FakeTime()
    result = status(_ctx(work), branch=BRANCH, timeout_s=timeout, sleep=time.sleep, clock=time.clock)
    assert result.exit_code == 1
    assert time.now - 1000.0 == timeout  # waited exactly the timeout, then polled once more
    assert all(s > 0 for s in time.sleeps)
    assert result.message.startswith(f"timed out after {timeout:.0f}s waiting for Flux to reconcile apps-dev")
    assert "no Flux status yet (waiting for kustomization/apps-dev)" in result.message
    assert result.message.endswith(f"re-run: gitops-promotion status --branch {BRANCH}")
    assert "no Flux status yet (waiting for kustomization/apps-dev)" in (result.summary_md or "")  # CI summary


def test_a_status_posted_during_the_last_wait_opens_the_gate(waiting_qa: tuple[Path, LocalForge, str]) -> None:
    work, forge, merge_dev = waiting_qa
    time = FakeTime()

    def sleep(seconds: float) -> None:
        time.sleep(seconds)
        if time.now - 1000.0 >= 8.0:  # Flux reports just as the deadline arrives
            forge.post_status(merge_dev, "kustomization/apps-dev/5f0e7c1a", "success")

    result = status(_ctx(work), branch=BRANCH, timeout_s=8.0, sleep=sleep, clock=time.clock)
    assert result.exit_code == 0, result.message
    assert result.message == "successful reconciliation for apps-dev"


def test_timeout_names_what_flux_posted(
    waiting_qa: tuple[Path, LocalForge, str], capsys: pytest.CaptureFixture[str]
) -> None:
    work, forge, merge_dev = waiting_qa
    forge.post_status(merge_dev, "kustomization/apps/9d3e11aa", "success")
    forge.post_status(merge_dev, "kustomization/apps/5f0e7c1a", "success")
    args = ["status", "--branch", BRANCH, "--timeout", "0s", "--sourcedir", str(work), "--provider", "local"]
    assert main([*args, "--output", "json"]) == 1
    data = json.loads(capsys.readouterr().out)
    assert data["other_flux_contexts"] == ["kustomization/apps/5f0e7c1a", "kustomization/apps/9d3e11aa"]
    assert data["contexts"] == {} and data["missing_providers"] == []
    code = main(args)
    out = capsys.readouterr().out
    assert code == 1
    assert (
        "saw kustomization/apps/5f0e7c1a, kustomization/apps/9d3e11aa; none matches kustomization/apps-dev"
        " — set environments[dev].flux" in out
    )
    assert f"re-run: gitops-promotion status --branch {BRANCH}" in out


def test_a_listed_provider_that_reported_a_later_commit_counts(waiting_qa: tuple[Path, LocalForge, str]) -> None:
    """Two dev clusters: one reported the merge commit, the other synced only a later commit (same tag)."""
    work, forge, merge_dev = waiting_qa
    config = work / "gitops-promotion.yaml"
    text = config.read_text(encoding="utf-8")
    assert "  - name: dev\n" in text
    config.write_text(
        text.replace("  - name: dev\n", "  - name: dev\n    flux: {providers: [5f0e7c1a, 9d3e11aa]}\n", 1),
        encoding="utf-8",
    )
    git(work, "commit", "--quiet", "-am", "dev has two clusters")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    later = git(work, "rev-parse", "HEAD")
    forge.post_status(merge_dev, "kustomization/apps-dev/5f0e7c1a", "success")
    time = FakeTime()
    result = status(_ctx(work), branch=BRANCH, timeout_s=0, sleep=time.sleep, clock=time.clock)
    assert result.exit_code == 1 and "waiting for Provider(s) 9d3e11aa" in result.message
    forge.post_status(later, "kustomization/apps-dev/9d3e11aa", "success")
    result = status(_ctx(work), branch=BRANCH, timeout_s=0, sleep=time.sleep, clock=time.clock)
    assert result.exit_code == 0, result.message
    forge.post_status(later, "kustomization/apps-dev/9d3e11aa", "failure")
    result = status(_ctx(work), branch=BRANCH, timeout_s=0, sleep=time.sleep, clock=time.clock)
    assert result.exit_code == 1 and "reconciliation failed for apps-dev" in result.message
