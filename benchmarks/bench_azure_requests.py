"""API requests (and wall time) of one full dev -> qa -> prod promotion against the fake Azure DevOps.

Runs the real CLI in-process: `new`, then for each hop the gate's PR status passes and auto-complete (or a
human, for the manual env) completes the PR, Flux's status is already present, and `promote` + `status` run.
Prints the requests per command and in total, then `show` with two open promotion PRs whose gates it reads
(their Flux statuses: one `commitsbatch` request, issue 17), then times cold and warm CLI processes (a cold one imports
the SDK and reads resource locations/areas, which the SDK then caches on disk in AZURE_DEVOPS_CACHE_DIR).
Every request is validated against the SDK's route table and models and git-7.1.json, as in the tests.

    python benchmarks/bench_azure_requests.py
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gitops_promotion.cli import main  # noqa: E402 - after the path set-up above
from gitops_promotion.commands.demo import generate_example  # noqa: E402
from tests.forge.azure_fake import AzureFake  # noqa: E402
from tests.forge.fixtures import git  # noqa: E402

TOKEN = "bench-pat-0123456789"  # noqa: S105 - the fake forge's test token
GATE = ("gitops-promotion", "gate")


def _cli(fake: AzureFake, work: Path, *args: str) -> tuple[int, str, float]:
    out = io.StringIO()
    start = time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = main([*args, "--sourcedir", str(work), "--provider", "azdo", "--api-url", fake.base_url])
    return code, out.getvalue(), time.perf_counter() - start


def _hop(fake: AzureFake, work: Path, pr: int, env: str) -> None:
    fake.post_pr_status(pr, *GATE, "succeeded")
    fake.auto_complete()
    if fake.prs[pr].status == "active":
        fake.complete(pr)  # a manual environment: a human completes it
    merge = fake.prs[pr].merge_commit
    assert merge
    fake.post_status(merge, "succeeded", f"kustomization/apps-{env}/0a1b2c3d")
    git(work, "fetch", "--quiet", "origin")
    git(work, "checkout", "--quiet", "-B", "main", "origin/main")


def _flow(fake: AzureFake, work: Path) -> list[tuple[str, int, float]]:
    rows: list[tuple[str, int, float]] = []

    def step(label: str, *args: str) -> None:
        before = len(fake.requests)
        code, out, seconds = _cli(fake, work, *args)
        if code != 0:
            raise SystemExit(f"{label} failed ({code}):\n{out}")
        rows.append((label, len(fake.requests) - before, seconds))

    step("new (dev)", "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    step("status (dev)", "status", "--branch", "promote/apps-podinfo")
    _hop(fake, work, 1, "dev")
    step("promote (qa)", "promote")
    step("status (qa)", "status", "--branch", "promote/apps-podinfo")
    _hop(fake, work, 2, "qa")
    step("promote (prod)", "promote")
    step("status (prod)", "status", "--branch", "promote/apps-podinfo")
    _hop(fake, work, 3, "prod")
    step("promote (done)", "promote")
    return rows


def _processes(fake: AzureFake, work: Path, cache: Path) -> list[tuple[str, int, float]]:
    env = {**os.environ, "AZURE_DEVOPS_CACHE_DIR": str(cache)}
    rows = []
    for label, tag in (("cold process: new", "8.0.0"), ("warm process: new (rerun)", "8.0.1")):
        before = len(fake.requests)
        start = time.perf_counter()
        argv = [
            sys.executable,
            "-m",
            "gitops_promotion",
            "new",
            "--group",
            "apps",
            "--app",
            "sidecar",
            "--tag",
            tag,
            "--sourcedir",
            str(work),
            "--provider",
            "azdo",
            "--api-url",
            fake.base_url,
        ]
        done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise SystemExit(f"{label} failed:\n{done.stdout}{done.stderr}")
        rows.append((label, len(fake.requests) - before, time.perf_counter() - start))
    return rows


def _open_pr(fake: AzureFake, app: str) -> int:
    return next(p.id for p in fake.prs.values() if p.status == "active" and p.source.endswith(f"apps-{app}"))


def _show(fake: AzureFake, work: Path) -> tuple[str, int, float]:
    """Two apps promoted to dev and their qa PRs open, one gate open and one closed; then `show`."""
    for app, tag, flux in (("sidecar", "8.1.0", "succeeded"), ("podinfo", "7.1.0", "error")):
        code, out, _ = _cli(fake, work, "new", "--group", "apps", "--app", app, "--tag", tag)
        if code != 0:
            raise SystemExit(f"new {app} failed ({code}):\n{out}")
        number = _open_pr(fake, app)
        fake.post_pr_status(number, *GATE, "succeeded")
        merge = fake.complete(number)
        fake.post_status(merge, flux, "kustomization/apps-dev/0a1b2c3d")
        git(work, "fetch", "--quiet", "origin")
        git(work, "checkout", "--quiet", "-B", "main", "origin/main")
        code, out, _ = _cli(fake, work, "promote")
        if code != 0:
            raise SystemExit(f"promote {app} failed ({code}):\n{out}")
    before = len(fake.requests)
    code, out, seconds = _cli(fake, work, "show", "--output", "json")
    if code != 0 or '"gate": "closed"' not in out or '"gate": "open"' not in out:
        raise SystemExit(f"show failed ({code}) or did not read both gates:\n{out}")
    return "show (2 gated PRs)", len(fake.requests) - before, seconds


def run() -> int:
    for name in list(os.environ):
        if name.startswith(("SYSTEM_", "BUILD_", "AZURE_DEVOPS", "GITHUB_", "TF_BUILD")):
            os.environ.pop(name)
    root = Path(tempfile.mkdtemp(prefix="bench-azure-"))
    remote, work = generate_example(root)
    os.environ.update(
        {
            "BUILD_REPOSITORY_URI": "https://dev.azure.com/org/proj/_git/repo",
            "AZURE_DEVOPS_EXT_PAT": TOKEN,
            "AZURE_DEVOPS_CACHE_DIR": str(root / "azure-cache"),
        }
    )
    with AzureFake(remote, token=TOKEN) as fake:
        fake.require_status(*GATE)
        rows = _flow(fake, work)
        processes = _processes(fake, work, root / "process-cache")
        shown = _show(fake, work)
    if fake.violations:
        raise SystemExit("requests the real Azure DevOps would reject:\n" + "\n".join(fake.violations))
    print(f"{'command':<28}{'requests':>9}{'seconds':>9}")
    for label, count, seconds in rows:
        print(f"{label:<28}{count:>9}{seconds:>9.2f}")
    print(f"{'full promotion':<28}{sum(r[1] for r in rows):>9}{sum(r[2] for r in rows):>9.2f}")
    for label, count, seconds in [*processes, shown]:
        print(f"{label:<28}{count:>9}{seconds:>9.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(run())
