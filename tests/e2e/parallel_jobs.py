"""Two CI jobs at once: `new` in separate clones, as separate processes, against one fake forge."""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests.conftest import git


def clones(remote: Path, parent: Path, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        path = parent / f"ci-job-{index}"
        git(parent, "clone", "--quiet", str(remote), str(path))
        paths.append(path)
    return paths


def run_new_in_parallel(
    jobs: list[tuple[Path, str, str]], flags: list[str], env: dict[str, str]
) -> list[subprocess.CompletedProcess[str]]:
    """Run ``new --group apps --app A --tag T`` for each (clone, app, tag) at the same time."""

    def one(work: Path, app: str, tag: str) -> subprocess.CompletedProcess[str]:
        argv = [sys.executable, "-m", "gitops_promotion", "new", "--group", "apps", "--app", app, "--tag", tag]
        return subprocess.run(
            [*argv, "--sourcedir", str(work), *flags],
            capture_output=True,
            text=True,
            env={**os.environ, **env},
            check=False,
            timeout=120,
        )

    with ThreadPoolExecutor(len(jobs)) as pool:
        return [f.result() for f in [pool.submit(one, *job) for job in jobs]]
