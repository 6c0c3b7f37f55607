"""Scale: `new`, `promote` and `show` on a 200-app, 4-environment, 30,000-file GitOps repository.

    python benchmarks/bench_scale.py [--groups 4] [--apps 50] [--envs 4] [--files 30000] [--forge github,azdo]

The repository comes from benchmarks/gen_repo.py (``groups x apps`` applications, ``envs`` environments,
``files`` manifests, 3% of them with markers), pushed to a bare repository that a fake forge (tests/forge/)
serves. Each command runs in its own CLI process, as in CI; the figures are its wall time (start-up included),
the API requests the fake received, and the process's peak resident memory (VmHWM) plus, in a second
read-only run, the peak of Python allocations (tracemalloc) for the manifest scan (`new --dry-run`).
GitHub's one-second spacing between writes is switched off here and reported separately: it is a wait, not work.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from typing import TYPE_CHECKING  # noqa: E402

if TYPE_CHECKING:  # imported lazily below: the child process that runs the CLI must not load the fakes
    from tests.reliability import forges

ENV_ORDER = ("dev", "qa", "staging", "prod", "perf", "dr")
GIT_ENV = {
    "GIT_AUTHOR_NAME": "bench",
    "GIT_AUTHOR_EMAIL": "bench@example.test",
    "GIT_COMMITTER_NAME": "bench",
    "GIT_COMMITTER_EMAIL": "bench@example.test",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def child(argv: list[str], trace: bool, report_fd: int) -> int:
    """Run the CLI in this process and report its peak memory on ``report_fd`` (stdout, stderr: the CLI's)."""
    from gitops_promotion.cli import main

    if trace:
        tracemalloc.start()
    code = main(argv)
    # VmHWM, not ru_maxrss: Linux carries ru_maxrss across exec, so a child would inherit the parent's peak.
    hwm = next(line for line in Path("/proc/self/status").read_text().splitlines() if line.startswith("VmHWM"))
    stats = {"code": code, "maxrss_kb": int(hwm.split()[1])}
    if trace:
        stats["traced_peak"] = tracemalloc.get_traced_memory()[1]
    with os.fdopen(report_fd, "w") as report:
        report.write(json.dumps(stats))
    return 0


def measure(
    argv: list[str], *, cwd: Path, env: dict[str, str], forge: forges.Forge | None, trace: bool = False
) -> dict[str, object]:
    """Run one CLI command in a fresh process; its wall time, API requests, exit code and memory."""
    read, write = os.pipe()
    before = forge.request_count() if forge else 0
    started = time.perf_counter()
    proc = subprocess.Popen(
        [
            sys.executable,
            __file__,
            "--child",
            json.dumps(argv),
            "--report-fd",
            str(write),
            *(["--trace"] if trace else []),
        ],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        pass_fds=(write,),
    )
    os.close(write)
    out, err = proc.communicate()
    seconds = time.perf_counter() - started
    with os.fdopen(read) as report:
        stats: dict[str, object] = json.loads(report.read() or "{}")
    if stats.get("code") != 0:
        raise SystemExit(f"{' '.join(argv[:3])} failed: {err.strip() or out.strip()}")
    lines = _request_lines(forge)[before:] if forge else []
    stats.update(
        seconds=seconds, requests=len(lines), writes=sum(not line.startswith("GET") for line in lines), out=out
    )
    return stats


def build_repo(tmp: Path, args: argparse.Namespace) -> tuple[Path, dict[str, object]]:
    """The generated tree committed in a bare repository; returns it and the generator's summary."""
    from benchmarks.gen_repo import generate, git_commit

    seed = tmp / "seed"
    started = time.perf_counter()
    summary = generate(seed, groups=args.groups, envs=args.envs, apps=args.apps, files=args.files)
    envs = sorted(summary["envs"], key=lambda name: ENV_ORDER.index(name) if name in ENV_ORDER else 99)
    lines = ["prflow: per-app", "environments:"]
    for env in envs:
        lines += [f"  - name: {env}", f"    auto: {'false' if env == envs[-1] else 'true'}"]
    (seed / "gitops-promotion.yaml").write_text("\n".join(lines) + "\n")
    git_commit(seed)
    bare = tmp / "remote.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(seed), str(bare)], check=True)
    summary["build_s"] = time.perf_counter() - started
    summary["env_order"] = envs
    return bare, summary


def run_forge(kind: str, bare: Path, tmp: Path, summary: dict[str, object], schemas: object) -> None:
    from tests.reliability import forges

    own = tmp / f"remote-{kind}.git"  # each forge gets its own copy: the first one's merge must not leak
    subprocess.run(["git", "clone", "-q", "--bare", str(bare), str(own)], check=True)
    bare = own
    forge: forges.Forge
    if kind == "github":
        forge = forges.GitHubForge(bare, forges.TOKEN, schemas)  # type: ignore[arg-type]
    else:
        forge = forges.AzureForge(bare, forges.TOKEN)
    try:
        work = tmp / f"work-{kind}"
        subprocess.run(["git", "clone", "-q", str(bare), str(work)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TF_BUILD", "SYSTEM_"))}
        env.update(GIT_ENV)
        env.update(forge.environ())
        env["HOME"] = str(tmp / f"home-{kind}")
        groups, apps = summary["groups"], summary["apps"]
        group, app = groups[len(groups) // 2], apps[len(apps) // 2]  # type: ignore[index,arg-type]
        common = ["--sourcedir", str(work), *forge.argv()]
        rows = []
        scan = measure(
            ["new", "--group", group, "--app", app, "--tag", "9.9.9", "--dry-run", *common],
            cwd=work,
            env=env,
            forge=forge,
            trace=True,
        )
        rows.append(("new --dry-run (scan, traced)", scan))
        new = measure(
            ["new", "--group", group, "--app", app, "--tag", "9.9.9", *common], cwd=work, env=env, forge=forge
        )
        rows.append(("new", new))
        number = next(pr.number for pr in forge.prs() if pr.state == "open")
        merge = forge.merge(number)
        subprocess.run(["git", "fetch", "-q", "origin"], cwd=work, check=True)
        promote = measure(["promote", "--sha", merge, "--branch", "main", *common], cwd=work, env=env, forge=forge)
        rows.append(("promote", promote))
        show_argv = ["show", "--sourcedir", str(work), *forge.argv()]
        rows.append(("show", measure(show_argv, cwd=work, env=env, forge=forge)))
        rows.append(
            ("show --offline (traced)", measure([*show_argv, "--offline"], cwd=work, env=env, forge=None, trace=True))
        )
        writes = int(new["writes"]) + int(promote["writes"])  # type: ignore[call-overload]
        print(
            f"== {kind}: {group}/{app} in a repo of {summary['files']} files, "
            f"{len(groups) * len(apps)} apps x {len(summary['env_order'])} envs"
        )  # type: ignore[arg-type]
        print(f"{'command':<30} {'wall s':>7} {'API req':>8} {'peak RSS MiB':>13} {'py peak MiB':>12}")
        for name, stats in rows:
            traced = stats.get("traced_peak")
            print(
                f"{name:<30} {stats['seconds']:>7.2f} {stats['requests']:>8} "
                f"{int(stats['maxrss_kb']) / 1024:>13.0f} "  # type: ignore[call-overload]
                f"{(int(traced) / 2**20 if traced else 0):>12.1f}"
            )  # type: ignore[call-overload]
        print("(traced rows run under tracemalloc, which slows them; 'py peak' is their Python heap high-water mark)")
        if kind == "github":
            print(f"(new + promote sent {writes} writes: GitHub's 1 s write spacing would add about {writes} s)")
    finally:
        forge.stop()


def _request_lines(forge: forges.Forge) -> list[str]:
    from tests.reliability import forges

    fake = getattr(forge, "fake", None)
    if isinstance(fake, forges.FaultyGitHub):
        return fake.request_lines()
    return [f"{r.method} {r.path}" for r in getattr(fake, "requests", [])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--apps", type=int, default=50, help="applications per group")
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--files", type=int, default=30_000)
    parser.add_argument("--forge", default="github,azdo")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        return child(json.loads(args.child), args.trace, args.report_fd)
    from tests.forge.github_schema import load_schemas

    schemas = load_schemas()
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        bare, summary = build_repo(tmp, args)
        print(
            f"generated {summary['files']} files ({summary['marker_files']} with markers, "
            f"{int(summary['bytes']) / 2**20:.0f} MiB) in {summary['build_s']:.1f}s"
        )  # type: ignore[call-overload]
        for kind in args.forge.split(","):
            run_forge(kind, bare, tmp, summary, schemas)
    return 0


if __name__ == "__main__":
    sys.exit(main())
