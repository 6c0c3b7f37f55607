"""The dev → qa → prod flow under injected faults, many runs: 5xx on 10% of requests, lost answers, rate limits
with Retry-After, dropped connections, slow answers, rejected and raced pushes.

    python benchmarks/bench_faults.py [--runs 30] [--error-rate 0.10] [--forge github,azdo]

Prints runs, completed, failed cleanly (one error line, nothing half-done, and a rerun without faults finished
the step), corrupted (must be 0), the faults injected and the waits the retries asked for (recorded, not slept).
"""

from __future__ import annotations

import argparse
import random
import sys

from reliability_harness import bench_session, start_forge

from tests.reliability import forges, injection
from tests.reliability.flow import FlowRun, Tally


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--error-rate", type=float, default=0.10)
    parser.add_argument("--forge", default="github,azdo")
    args = parser.parse_args()
    corrupted = 0
    with bench_session() as (tmp, cli, schemas):
        for kind in args.forge.split(","):
            apps = forges.app_names(args.runs)
            forge = start_forge(kind, tmp / kind, apps, schemas)
            queue = injection.install_push_hook(forge.bare)
            tally, injected = Tally(), dict[str, int]()
            injection.SLEEPS.clear()
            try:
                for i, app in enumerate(apps):
                    plan = forges.FaultPlan(
                        random.Random(7000 + i),
                        error_5xx=args.error_rate,
                        lost_reply=0.03,
                        rate_limit=0.03,
                        reset=0.03,
                        slow=0.05,
                    )
                    work = forges.checkout(forge, tmp / f"{kind}-{app}")
                    FlowRun(cli, forge, work, app, f"2.{i}.0", apps, queue, random.Random(i), tally, plan=plan).run()
                    for name, count in plan.counts.items():
                        injected[name] = injected.get(name, 0) + count
            finally:
                forge.stop()
            print(
                f"{tally.line(kind)} injected={injected} retry_waits={len(injection.SLEEPS)} "
                f"waited={sum(injection.SLEEPS):.0f}s (recorded, not slept)"
            )
            for note in tally.notes:
                print("   ", note)
            corrupted += tally.corrupted
    return 1 if corrupted else 0


if __name__ == "__main__":
    sys.exit(main())
