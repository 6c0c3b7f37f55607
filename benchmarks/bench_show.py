"""Time `show` (every format) and `history` on generated GitOps repos with merged-PR history.

    python benchmarks/bench_show.py [--sizes 200x4x400,1000x4x2000] [--runs 3]

A size is apps x envs x merged promotions (one merge commit each, on main). Each figure is the best wall
time of ``--runs`` fresh CLI processes (start-up included) with ``--offline`` (git only, no forge).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from tests.release.bigrepo import big_repo  # the generator the performance test uses  # noqa: E402

ENVS = ("dev", "qa", "stage", "prod", "dr", "edge")


def _best(command: list[str], cwd: Path, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(command, cwd=cwd, check=True, capture_output=True)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200x4x400,1000x4x2000")
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    cli = [sys.executable, "-m", "gitops_promotion"]
    with tempfile.TemporaryDirectory() as tmp:
        for size in args.sizes.split(","):
            apps, envs, promotions = (int(part) for part in size.split("x"))
            started = time.perf_counter()
            work = big_repo(Path(tmp) / size, apps=apps, envs=ENVS[:envs], promotions=promotions)
            print(
                f"== {apps} apps x {envs} envs, {promotions} merged PRs (built in {time.perf_counter() - started:.1f}s)"
            )
            for output in ("text", "json", "markdown", "html"):
                extra = ["--out", str(Path(tmp) / f"{size}.html")] if output == "html" else []
                seconds = _best([*cli, "show", "--offline", "--no-fetch", "--output", output, *extra], work, args.runs)
                print(f"show --output {output:<8} {seconds:6.2f}s")
            seconds = _best([*cli, "history", "--group", "apps", "--app", "app001", "--offline"], work, args.runs)
            print(f"history (one app)      {seconds:6.2f}s")
            page = Path(tmp) / f"{size}.html"
            print(f"dashboard size         {page.stat().st_size / 1024:6.0f} KiB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
