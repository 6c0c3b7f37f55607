"""One `reconcile` over a 200-app, 4-environment GitOps repository with about 20 promotion PRs open.

    python benchmarks/bench_reconcile.py [--groups 4] [--apps 50] [--envs 4] [--files 30000] [--open 20]
                                         [--lost 5] [--forge github,azdo]

The repository is benchmarks/gen_repo.py's (as in bench_scale.py). Set-up, in-process: ``--open`` apps get a
promotion PR into the first environment (`new`); ``--lost`` of them are merged with no `promote` run after
(the lost runs reconcile must heal); Flux posts success for the merges. Then `reconcile` runs in its own CLI
process, twice: the first opens the lost promotions and posts every gate, the second finds nothing changed.
Figures per run: wall time (start-up included), API requests (reads / writes), peak resident memory (VmHWM).
The target: requests grow with the open PRs and the apps to fix, never with apps x environments.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_scale import GIT_ENV, build_repo, child, measure  # noqa: E402


def _cli_in_process(argv: list[str], env: dict[str, str]) -> int:
    """Set-up steps run in this process (quiet): only the measured runs pay a process start."""
    from gitops_promotion.cli import main

    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        out = io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
            code = main(argv)
        if code != 0:
            sys.stderr.write(out.getvalue())
        return code
    finally:
        os.environ.clear()
        os.environ.update(saved)


def run_forge(kind: str, bare: Path, tmp: Path, summary: dict[str, object], args: argparse.Namespace) -> None:
    from tests.reliability import forges

    own = tmp / f"remote-{kind}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(bare), str(own)], check=True)
    forge: forges.Forge
    if kind == "github":
        from tests.forge.github_schema import load_schemas

        forge = forges.GitHubForge(own, forges.TOKEN, load_schemas())
    else:
        forge = forges.AzureForge(own, forges.TOKEN)
    try:
        work = tmp / f"work-{kind}"
        subprocess.run(["git", "clone", "-q", str(own), str(work)], check=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TF_BUILD", "SYSTEM_"))}
        env.update(GIT_ENV)
        env.update(forge.environ())
        env["HOME"] = str(tmp / f"home-{kind}")
        common = ["--sourcedir", str(work), *forge.argv()]
        groups, apps = summary["groups"], summary["apps"]
        picked = [(g, a) for a in apps for g in groups][: args.open]  # type: ignore[attr-defined]
        for group, app in picked:
            code = _cli_in_process(["new", "--group", group, "--app", app, "--tag", "9.9.9", *common], env)
            if code != 0:
                raise SystemExit(f"set-up: new {group}/{app} failed ({code})")
        open_prs = [pr for pr in forge.prs() if pr.state == "open"]
        for pr in open_prs[: args.lost]:  # merged, and the promote run that should follow never happens
            merge = forge.merge(pr.number)
            _flux_success(forge, merge, summary)
        reconcile = ["reconcile", *common]
        first = measure(reconcile, cwd=work, env=env, forge=forge)
        second = measure(reconcile, cwd=work, env=env, forge=forge)
        still_open = sum(1 for pr in forge.prs() if pr.state == "open")
        n_apps = len(groups) * len(apps)  # type: ignore[arg-type]
        print(
            f"== {kind}: {n_apps} apps x {len(summary['env_order'])} envs, {summary['files']} files; "  # type: ignore[arg-type]
            f"{len(open_prs)} PRs open before, {args.lost} promotions lost, {still_open} open after"
        )
        print(f"{'run':<34} {'wall s':>7} {'API req':>8} {'writes':>7} {'peak RSS MiB':>13}")
        for name, stats in (("reconcile (heals, posts gates)", first), ("reconcile again (steady state)", second)):
            print(
                f"{name:<34} {stats['seconds']:>7.2f} {stats['requests']:>8} {stats['writes']:>7} "
                f"{int(stats['maxrss_kb']) / 1024:>13.0f}"  # type: ignore[call-overload]
            )
        print(f"(apps x envs = {n_apps * len(summary['env_order'])}; the requests follow open PRs and lost apps)")  # type: ignore[arg-type]
        print("first run's output, last line:", str(first["out"]).strip().splitlines()[-1])
    finally:
        forge.stop()


def _flux_success(forge: object, sha: str, summary: dict[str, object]) -> None:
    """Flux reports the first environment reconciled ``sha`` (every group's Kustomization)."""
    first_env = summary["env_order"][0]  # type: ignore[index]
    fake = getattr(forge, "fake", None)
    for group in summary["groups"]:  # type: ignore[attr-defined]
        context = f"kustomization/{group}-{first_env}/0a1b2c3d"
        if hasattr(fake, "post_status") and hasattr(fake, "head_sha"):  # GitHub
            fake.post_status(sha, context, "success")
        elif fake is not None:  # Azure DevOps: Flux's genre
            fake.post_status(sha, "succeeded", context, "fluxcd", "success")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--apps", type=int, default=50, help="applications per group")
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--files", type=int, default=30_000)
    parser.add_argument("--open", type=int, default=20, help="promotion PRs open before the run")
    parser.add_argument("--lost", type=int, default=5, help="of those, merged with no promote run after")
    parser.add_argument("--forge", default="github,azdo")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report-fd", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child is not None:
        import json

        return child(json.loads(args.child), args.trace, args.report_fd)
    with tempfile.TemporaryDirectory() as name:
        tmp = Path(name)
        bare, summary = build_repo(tmp, args)
        print(f"generated {summary['files']} files in {summary['build_s']:.1f}s")
        for kind in args.forge.split(","):
            run_forge(kind, bare, tmp, summary, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
