"""Every app promoted at once, at a larger scale than the test: `new` for all apps together, then merges and
`promote`s racing, twice, against the fake GitHub and the fake Azure DevOps.

    python benchmarks/bench_concurrency.py [--apps 100] [--forge github,azdo]

Prints the counts (PRs, merges, lost, duplicates, default-branch commits) and each wave's wall time and API
requests. Runs are threads in one process (see tests/reliability/cli_runner.py); git runs as real subprocesses.
"""

from __future__ import annotations

import argparse
import sys

from reliability_harness import bench_session, start_forge

from tests.reliability import forges, waves


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--apps", type=int, default=100)
    parser.add_argument("--forge", default="github,azdo")
    args = parser.parse_args()
    with bench_session() as (tmp, cli, schemas):
        for kind in args.forge.split(","):
            apps = forges.app_names(args.apps)
            forge = start_forge(kind, tmp / kind, apps, schemas)
            try:
                report = waves.everyone_at_once(cli, forge, apps, tmp / f"{kind}-clones")
            finally:
                forge.stop()
            print(report.line(kind))
            if forge.violations():
                print(f"  requests the real forge would reject: {forge.violations()[:3]}")
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
