"""API requests (and wall time) of one full dev -> qa -> prod promotion against the fake GitLab and fake Gitea.

Runs the real CLI in-process: `new`, then for each hop `status` posts the gate (which lets the forge's
auto-merge run, or a human merges the manual env), Flux's status is posted on the merge commit, and `promote`
runs. Prints the requests per command and in total for each forge. Every request is validated against the
forge's published description, as in the tests; a violation stops the benchmark.

    python benchmarks/bench_forge_requests.py            # both
    python benchmarks/bench_forge_requests.py gitlab     # one
"""

from __future__ import annotations

import contextlib
import io
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gitops_promotion.cli import main  # noqa: E402 - after the path set-up above
from gitops_promotion.commands.demo import generate_example  # noqa: E402
from tests.forge.fixtures import git  # noqa: E402
from tests.forge.gitea_fake import TOKEN as GITEA_TOKEN  # noqa: E402
from tests.forge.gitea_fake import FakeGitea, GiteaSettings  # noqa: E402
from tests.forge.gitlab_fake import TOKEN as GITLAB_TOKEN  # noqa: E402
from tests.forge.gitlab_fake import FakeGitLab  # noqa: E402

BRANCH = "promote/apps-podinfo"
Row = tuple[str, int, float]


def _forge(
    name: str, bare: Path
) -> tuple[FakeGitLab | FakeGitea, list[str], Callable[[int], str | None], Callable[[int], None]]:
    """(fake, CLI args, merge commit of PR n, merge PR n by hand)."""
    if name == "gitlab":
        gl = FakeGitLab(bare, project="acme/gitops").start()
        os.environ.update({"CI_PROJECT_PATH": "acme/gitops", "GITLAB_TOKEN": GITLAB_TOKEN})

        def gl_landed(n: int) -> str | None:
            mr = gl.mr(n)
            return mr.merge_commit_sha or mr.squash_commit_sha

        def gl_merge(n: int) -> None:
            if gl.mr(n).state == "opened":
                gl.merge(n)

        return gl, ["--provider", "gitlab", "--api-url", gl.api_url], gl_landed, gl_merge
    gt = FakeGitea(bare, settings=GiteaSettings(required_contexts={"*": ["gitops-promotion/gate"]})).start()
    os.environ.update({"GITHUB_REPOSITORY": "acme/gitops", "GITEA_TOKEN": GITEA_TOKEN})

    def gt_merge(n: int) -> None:
        if not gt.prs[n].merged:
            gt.merge(n)

    return gt, ["--provider", "gitea", "--api-url", gt.origin], lambda n: gt.prs[n].merge_commit_sha, gt_merge


def _flow(name: str, root: Path) -> list[Row]:
    bare, work = generate_example(root)
    fake, flags, landed, merge_by_hand = _forge(name, bare)
    rows: list[Row] = []

    def step(label: str, *args: str) -> None:
        before = len(fake.requests)
        out = io.StringIO()
        start = time.perf_counter()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = main([*args, "--sourcedir", str(work), *flags])
        if code != 0 and not label.startswith("status"):
            raise SystemExit(f"{name} {label} failed ({code}):\n{out.getvalue()}")
        rows.append((label, len(fake.requests) - before, time.perf_counter() - start))

    def hop(pr: int, env: str) -> None:
        merge_by_hand(pr)
        sha = landed(pr)
        assert sha, f"PR {pr} has no merge commit"
        fake_post_flux(fake, sha, f"kustomization/apps-{env}/0a1b2c3d")
        git(work, "fetch", "--quiet", "origin")
        git(work, "checkout", "--quiet", "-B", "main", "origin/main")

    try:
        step("new (dev)", "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
        step("status (dev)", "status", "--branch", BRANCH)
        hop(1, "dev")
        step("promote (qa)", "promote")
        step("status (qa)", "status", "--branch", BRANCH)
        hop(2, "qa")
        step("promote (prod)", "promote")
        step("status (prod)", "status", "--branch", BRANCH)
        hop(3, "prod")
        step("promote (done)", "promote")
    finally:
        fake.stop()
    if fake.violations:
        raise SystemExit(f"{name}: requests the forge would reject:\n" + "\n".join(fake.violations))
    return rows


def fake_post_flux(fake: FakeGitLab | FakeGitea, sha: str, context: str) -> None:
    fake.post_status(sha, context, "success")


def main_bench(forges: list[str]) -> None:
    for name in forges:
        with tempfile.TemporaryDirectory() as tmp:
            rows = _flow(name, Path(tmp))
        sys.stdout.write(f"\n{name}: requests per command (in-process CLI)\n")
        for label, count, seconds in rows:
            sys.stdout.write(f"  {label:<16} {count:>3} requests  {seconds * 1000:7.0f} ms\n")
        total = sum(count for _, count, _ in rows)
        sys.stdout.write(f"  {'total':<16} {total:>3} requests  {sum(s for *_, s in rows) * 1000:7.0f} ms\n")


if __name__ == "__main__":
    main_bench(sys.argv[1:] or ["gitlab", "gitea"])
