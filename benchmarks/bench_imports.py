"""What the start-up of each command costs in imports: a fresh interpreter importing one module, beside a bare one.

    python benchmarks/bench_imports.py [--runs 15]

Each figure is the median wall time, over ``--runs`` fresh interpreters, of ``python -c "import <module>"``, less
the median of ``python -c pass`` run in between (so the machine's drift is shared). A module's figure includes
everything it imports that the bare interpreter had not; the modules are the ones the commands load before their
first git or HTTP work (issue 17, deliverable 1), so the largest lines are where start-up time goes.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# module -> what loads it
MODULES = {
    "click": "every command (the CLI group)",
    "gitops_promotion.cli.options": "every command (options, run, the context builder)",
    "gitops_promotion.config": "every command that reads gitops-promotion.yaml (no pydantic unless it is wrong)",
    "ruamel.yaml": "the config loader and the manifest parser",
    "gitops_promotion.manifests": "set-image, new, promote (marker engine)",
    "gitops_promotion.providers.github": "GitHub commands (requests session)",
    "gitops_promotion.commands.opening": "new, promote, release (config, providers base, git)",
    "gitops_promotion.history.inventory": "show, reconcile, promote's catch-up",
}


def _wall(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=ROOT, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=15, help="fresh interpreters per module (medians are printed)")
    args = parser.parse_args()
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "gitops_promotion")], check=True)
    bare: list[float] = []
    rows = []
    for module, who in MODULES.items():
        times = []
        for _ in range(args.runs):
            bare.append(_wall([sys.executable, "-c", "pass"]))
            times.append(_wall([sys.executable, "-c", f"import {module}"]))
        rows.append((module, who, times))
    base = statistics.median(bare)
    print(f"bare interpreter (python -c pass): {base * 1000:.1f} ms (median of {len(bare)})")
    print(f"{'module':<38}{'import ms':>10}  loaded by")
    for module, who, times in rows:
        print(f"{module:<38}{(statistics.median(times) - base) * 1000:>10.1f}  {who}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
