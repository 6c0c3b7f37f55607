"""API requests (and wall time) of one full dev -> qa -> prod promotion against the fake GitHub.

Runs the real CLI in-process: `new`, then for each hop the gate passes and the PR merges, Flux's status is
already present, and `promote` + `status` run. Prints the requests per command, the total (target <= 12; the
Go tool needs about 15 by its code) and shows that a status poll that sees no change is a 304 costing no
rate limit. Every request is validated against GitHub's OpenAPI/GraphQL descriptions, as in the tests.

    python benchmarks/bench_github_requests.py [--write-interval 1.0]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gitops_promotion.cli import main  # noqa: E402 - after the path set-up above
from gitops_promotion.commands.demo import generate_example  # noqa: E402
from gitops_promotion.providers import ProviderSettings  # noqa: E402
from gitops_promotion.providers.github import build  # noqa: E402
from tests.forge.fixtures import git  # noqa: E402
from tests.forge.github_fake import FakeGitHub  # noqa: E402
from tests.forge.github_schema import load_schemas  # noqa: E402

TARGET = 12
GATE = "promotion-gate"


def _cli(work: Path, *args: str) -> tuple[int, str, float]:
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main([*args, "--sourcedir", str(work), "--provider", "github"])
    return code, out.getvalue(), time.perf_counter() - start


def _hop(fake: FakeGitHub, work: Path, pr: int, env: str) -> None:
    """CI's gate passes, auto-merge merges (or a human does, for a manual env), Flux reports the merge."""
    fake.post_status(fake.head_sha(pr), GATE, "success")
    if fake.pr(pr).state == "open":
        fake.merge(pr)
    merge = fake.pr(pr).merge_commit_sha
    assert merge
    fake.post_status(merge, f"kustomization/apps-{env}/0a1b2c3d", "success")
    git(work, "fetch", "--quiet", "origin")
    git(work, "checkout", "--quiet", "-B", "main", "origin/main")


def run(write_interval: float) -> int:
    fake_env = {"GITHUB_ACTIONS", "GITHUB_TOKEN", "GITHUB_API_URL", "GITHUB_GRAPHQL_URL", "GITHUB_REPOSITORY"}
    for name in fake_env:
        os.environ.pop(name, None)
    root = Path(tempfile.mkdtemp(prefix="bench-github-"))
    remote, work = generate_example(root)
    fake = FakeGitHub(remote, load_schemas()).start()
    fake.protect("main", GATE)
    os.environ.update(
        {
            "GITHUB_REPOSITORY": "acme/gitops",
            "GITHUB_API_URL": fake.api_url,
            "GITHUB_TOKEN": fake.token,
            "GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL": str(write_interval),
        }
    )
    rows: list[tuple[str, int, int, float]] = []

    def step(label: str, *args: str) -> None:
        before, used = len(fake.requests), fake.rate_used()
        code, out, seconds = _cli(work, *args)
        if code != 0:
            raise SystemExit(f"{label} failed ({code}):\n{out}")
        rows.append((label, len(fake.requests) - before, fake.rate_used() - used, seconds))

    try:
        step("new --tag 7.0.0 (dev)", "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
        _hop(fake, work, 1, "dev")
        step("promote (dev -> qa)", "promote")
        step("status (qa gate)", "status", "--branch", "promote/apps-podinfo")
        _hop(fake, work, 2, "qa")
        step("promote (qa -> prod)", "promote")
        step("status (prod gate)", "status", "--branch", "promote/apps-podinfo")
        poll = _poll_cost(fake, work)
    finally:
        fake.stop()
    if fake.violations:
        raise SystemExit("requests GitHub would reject:\n" + "\n".join(fake.violations))
    total = sum(r[1] for r in rows)
    print(f"GitHub API requests for one dev -> qa -> prod promotion (write spacing {write_interval:g} s)")
    print(f"{'command':<24}{'requests':>10}{'rate limit':>12}{'wall s':>9}")
    for label, count, used, seconds in rows:
        print(f"{label:<24}{count:>10}{used:>12}{seconds:>9.2f}")
    print(f"{'total':<24}{total:>10}{sum(r[2] for r in rows):>12}{sum(r[3] for r in rows):>9.2f}")
    print(f"target <= {TARGET}: {'met' if total <= TARGET else 'MISSED'}")
    print(f"status poll with no change: HTTP {poll[0]}, rate-limit cost {poll[1]}")
    return 0 if total <= TARGET and poll[1] == 0 else 1


def _poll_cost(fake: FakeGitHub, work: Path) -> tuple[int, int]:
    """Poll one commit's statuses twice with the same provider; the second is conditional (If-None-Match)."""
    settings = ProviderSettings(repo_root=work, remote_url="", environ=dict(os.environ), token=fake.token)
    provider = build(settings)
    sha = git(work, "rev-parse", "HEAD~1")
    provider.commit_statuses(sha)
    used = fake.rate_used()
    provider.commit_statuses(sha)
    return fake.requests[-1].status, fake.rate_used() - used


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write-interval", type=float, default=1.0, help="seconds between writes (GitHub's 1)")
    sys.exit(run(parser.parse_args().write_interval))
