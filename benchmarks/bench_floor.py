"""Each command's wall time beside its floor: the same git commands in one shell script plus the same HTTP
requests through one keep-alive curl session (issue 17), at several repository sizes, against the fake GitHub.

    python benchmarks/bench_floor.py [--sizes 5000,30000] [--large] [--runs 3] [--only status,show]

``--large`` adds the 100,000-file repository (about two more minutes). ``--only`` measures some commands; the
others still run where a measured one needs what they leave (``promote`` needs the PR ``new`` opens).

For every measured run of the CLI, a `git` shim first on PATH records each git command (its arguments, and the
input of `git cat-file --batch`) and the fake records each HTTP request (method, path, headers, body); the refs are
put back as they were before the run, the recorded work is replayed as one `sh` script (git by absolute path, then
one `curl` with ``--next`` between requests, which keeps the connection), and the refs are put back as the run left
them. The shim's own cost (a `sh` per git command) is charged to the CLI, not the floor. `set-image` is compared
with `git grep -l` on the worktree, `--version` with a bare interpreter (`python -c pass`). Figures are medians of
paired runs; the machine is shared, so compare ratios, not seconds. Peak RSS of `show` is read from the process's
VmHWM.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGETS = {
    "new": 1.6,
    "promote": 1.6,
    "status": 4.0,
    "show": 1.5,
    "show --offline": 2.5,
    "set-image .": 1.5,
    "--version": 2.5,
}
RSS_TARGET_MIB = 64
GIT = shutil.which("git") or "/usr/bin/git"
CURL = shutil.which("curl")
_SHIM = """#!/bin/sh
n=$$
if [ "$1" = cat-file ]; then
  cat > "{log}.$n.in"
  printf '%s\\0' "$PWD" "$n" "$@" >> "{log}"; printf '\\036' >> "{log}"
  exec "{git}" "$@" < "{log}.$n.in"
fi
printf '%s\\0' "$PWD" "$n" "$@" >> "{log}"; printf '\\036' >> "{log}"
exec "{git}" "$@"
"""
_SKIP_HEADERS = {"host", "content-length", "connection", "accept-encoding"}
# What `python -m gitops_promotion` runs, plus a report of the peak RSS (VmHWM: ru_maxrss carries the parent's).
_RSS_CHILD = """
import atexit, os, runpy, sys
def _report():
    line = next(l for l in open('/proc/self/status') if l.startswith('VmHWM'))
    os.write(int(os.environ['BENCH_RSS_FD']), line.split()[1].encode())
atexit.register(_report)
sys.argv = ['gitops-promotion', *sys.argv[1:]]
runpy.run_module('gitops_promotion', run_name='__main__', alter_sys=True)
"""


@dataclass
class Http:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class Rows:
    times: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    counts: dict[str, tuple[int, int]] = field(default_factory=dict)  # git processes, HTTP requests
    rss: dict[str, int] = field(default_factory=dict)
    only: frozenset[str] = frozenset()  # the commands to measure; empty: all

    def wanted(self, name: str) -> bool:
        return not self.only or name in self.only

    def add(self, name: str, tool: float, floor: float, git: int, http: int) -> None:
        self.times.setdefault(name, []).append((tool, floor))
        self.counts[name] = (git, http)


class Bench:
    """One generated repository, its bare remote and a clone, served by the fake GitHub."""

    def __init__(self, tmp: Path, files: int) -> None:
        from benchmarks.bench_scale import GIT_ENV, build_repo
        from tests.forge.github_schema import load_schemas
        from tests.reliability import forges

        self.tmp = tmp
        groups = 4
        apps = max(2, min(50, int(files * 0.03) // (groups * 4)))  # every app has a marker in every env
        args = argparse.Namespace(groups=groups, apps=apps, envs=4, files=files)
        bare, self.summary = build_repo(tmp, args)
        self.bare = bare
        self.forge = forges.GitHubForge(bare, forges.TOKEN, load_schemas())  # type: ignore[arg-type]
        self.work = tmp / "work"
        subprocess.run([GIT, "clone", "-q", str(bare), str(self.work)], check=True)
        self.http: list[Http] = []
        handle = self.forge.fake.handle

        def recording(method: str, raw_path: str, headers: Any, body: bytes) -> Any:
            kept = {k: v for k, v in headers.items() if k.lower() not in _SKIP_HEADERS}
            self.http.append(Http(method, raw_path, kept, body or b""))
            return handle(method, raw_path, headers, body)

        self.forge.fake.handle = recording
        api = urlsplit(self.forge.environ()["GITHUB_API_URL"])
        self.origin = f"{api.scheme}://{api.netloc}"
        self.shim = tmp / "shim"
        self.shim.mkdir()
        self.log = tmp / "git.log"
        (self.shim / "git").write_text(_SHIM.format(log=self.log, git=GIT))
        (self.shim / "git").chmod(0o755)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TF_BUILD", "SYSTEM_"))}
        env.update(GIT_ENV)
        env.update(self.forge.environ())
        env["HOME"] = str(tmp / "home")
        env["PATH"] = f"{self.shim}:{env.get('PATH', '')}"
        self.env = env
        self.argv = ["--sourcedir", str(self.work), *self.forge.argv()]
        self.groups: list[str] = list(self.summary["groups"])  # type: ignore[call-overload]
        self.apps: list[str] = list(self.summary["apps"])  # type: ignore[call-overload]
        cli = Path(sys.executable).with_name("gitops-promotion")
        self.cli = [str(cli)] if cli.exists() else [sys.executable, "-m", "gitops_promotion"]

    def stop(self) -> None:
        self.forge.stop()

    # -- refs ----------------------------------------------------------------------------------------------
    def snapshot(self) -> dict[str, Any]:
        def refs(repo: Path) -> dict[str, str]:
            out = _git(repo, "for-each-ref", "--format=%(objectname) %(refname)")
            return dict(reversed(line.split(" ", 1)) for line in out.splitlines())  # type: ignore[misc]

        head = _git(self.work, "symbolic-ref", "-q", "HEAD", check=False) or _git(self.work, "rev-parse", "HEAD")
        return {"work": refs(self.work), "bare": refs(self.bare), "head": head}

    def restore(self, snap: dict[str, Any]) -> None:
        for key, repo in (("work", self.work), ("bare", self.bare)):
            now = self.snapshot()[key]
            want: dict[str, str] = snap[key]
            lines = [f"delete {ref}" for ref in now if ref not in want]
            lines += [f"update {ref} {sha}" for ref, sha in want.items() if now.get(ref) != sha]
            if lines:
                stdin = "\n".join(lines) + "\n"
                subprocess.run([GIT, "update-ref", "--stdin"], cwd=repo, input=stdin, text=True, check=True)
        head = snap["head"]
        target = head.removeprefix("refs/heads/") if head.startswith("refs/") else head
        subprocess.run([GIT, "checkout", "-q", "-f", target], cwd=self.work, check=True)

    # -- runs ----------------------------------------------------------------------------------------------
    def run_cli(self, args: list[str]) -> tuple[float, list[list[str]], list[Http]]:
        """Run the CLI in a fresh process: wall time, the git commands run in the clone, the HTTP requests."""
        self.log.write_bytes(b"")
        before = len(self.http)
        start = time.perf_counter()
        proc = subprocess.run(
            [*self.cli, *args], env=self.env, cwd=self.work, capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - start
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(args[:2])} failed ({proc.returncode}): {proc.stderr or proc.stdout}")
        return seconds, self._git_log(), self.http[before:]

    def _git_log(self) -> list[list[str]]:
        commands = []
        for record in self.log.read_bytes().split(b"\x1e"):
            parts = record.split(b"\0")[:-1]
            if len(parts) < 3 or Path(parts[0].decode()).resolve() != self.work.resolve():
                continue
            pid, argv = parts[1].decode(), [p.decode() for p in parts[2:]]
            if argv[0] == "cat-file":
                argv.append(f"<{self.log}.{pid}.in")
            commands.append(argv)
        return commands

    def floor(self, commands: list[list[str]], http: list[Http]) -> float:
        """Wall time of one `sh` running ``commands`` (git) and then ``http`` through one curl."""
        lines = ["cd " + shlex.quote(str(self.work))]
        for argv in commands:
            stdin = argv[-1][1:] if argv[-1].startswith("<") else None
            args = argv[:-1] if stdin else argv
            line = " ".join(shlex.quote(a) for a in [GIT, *args]) + " >/dev/null 2>&1"
            lines.append(line + (f" <{shlex.quote(stdin)}" if stdin else ""))
        if http:
            lines.append(self._curl(http))
        script = self.tmp / "floor.sh"
        script.write_text("\n".join(lines) + "\n")
        start = time.perf_counter()
        subprocess.run(["sh", str(script)], env=self.env, check=False)
        return time.perf_counter() - start

    def _curl(self, http: list[Http]) -> str:
        if CURL is None:
            raise SystemExit("curl is needed for the floor (apt-get install curl)")
        parts = [CURL, "-s", "--http1.1"]
        for i, req in enumerate(http):
            if i:
                parts.append("--next")
            parts += ["-o", "/dev/null", "-X", req.method]
            for key, value in req.headers.items():
                parts += ["-H", f"{key}: {value}"]
            if req.body:
                body = self.tmp / f"body-{i}"
                body.write_bytes(req.body)
                parts += ["--data-binary", f"@{body}"]
            parts.append(self.origin + req.path)
        return " ".join(shlex.quote(p) for p in parts)

    def paired(self, rows: Rows, name: str, args: list[str]) -> None:
        """One CLI run and the replay of its work, the refs put back in between."""
        if not rows.wanted(name):
            self.run_cli(args)
            return
        before = self.snapshot()
        seconds, commands, http = self.run_cli(args)
        after = self.snapshot()
        self.restore(before)
        floor = self.floor(commands, http)
        self.restore(after)
        rows.add(name, seconds, floor, len(commands), len(http))

    def peak_rss(self, args: list[str]) -> int:
        read, write = os.pipe()
        env = {**self.env, "BENCH_RSS_FD": str(write)}
        subprocess.run(
            [sys.executable, "-c", _RSS_CHILD, *args],
            env=env,
            cwd=self.work,
            capture_output=True,
            pass_fds=(write,),
            check=False,
        )
        os.close(write)
        with os.fdopen(read) as report:
            return int(report.read() or 0)


def _git(repo: Path, *args: str, check: bool = True) -> str:
    proc = subprocess.run([GIT, *args], cwd=repo, capture_output=True, text=True, check=check)
    return proc.stdout.strip()


def _timed(argv: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False)
    return time.perf_counter() - start


def measure(files: int, runs: int, tmp: Path, only: frozenset[str] = frozenset()) -> tuple[dict[str, Any], Rows]:
    bench = Bench(tmp, files)
    rows = Rows(only=only)
    try:
        group = bench.groups[len(bench.groups) // 2]
        for i in range(runs if rows.wanted("new") or rows.wanted("promote") or rows.wanted("status") else 0):
            app = bench.apps[i % len(bench.apps)]
            bench.paired(rows, "new", ["new", "--group", group, "--app", app, "--tag", f"9.9.{i}", *bench.argv])
            number = max(pr.number for pr in bench.forge.prs() if pr.state == "open")
            merge = bench.forge.merge(number)
            subprocess.run([GIT, "fetch", "-q", "origin"], cwd=bench.work, check=True)
            bench.paired(rows, "promote", ["promote", "--sha", merge, "--branch", "main", *bench.argv])
            bench.forge.fake.post_status(merge, f"kustomization/{group}-dev/0a1b2c3d", "success")
            branch = f"promote/{group}-{app}"
            bench.paired(rows, "status", ["status", "--branch", branch, *bench.argv])
        show = ["show", *bench.argv]
        for _ in range(runs if rows.wanted("show") or rows.wanted("show --offline") else 0):
            bench.paired(rows, "show", show)
            bench.paired(rows, "show --offline", [*show, "--offline"])
        if rows.wanted("show"):
            rows.rss["show"] = bench.peak_rss(show)
        if rows.wanted("show --offline"):
            rows.rss["show --offline"] = bench.peak_rss([*show, "--offline"])
        app = bench.apps[0]
        for i in range(runs if rows.wanted("set-image .") else 0):
            args = [*bench.cli, "set-image", "--group", group, "--app", app, "--tag", f"8.8.{i}", "."]
            tool = _timed(args, bench.work, bench.env)
            _git(bench.work, "checkout", "-q", "--", ".")
            floor = _timed([GIT, "grep", "-l", "-F", '"$imagepolicy"'], bench.work, bench.env)
            rows.add("set-image .", tool, floor, 0, 0)
        for _ in range(max(runs, 10) if rows.wanted("--version") else 0):
            tool = _timed([*bench.cli, "--version"], bench.work, bench.env)
            floor = _timed([sys.executable, "-c", "pass"], bench.work, bench.env)
            rows.add("--version", tool, floor, 0, 0)
    finally:
        bench.stop()
    return bench.summary, rows


def report(summary: dict[str, Any], rows: Rows) -> list[str]:
    out = [
        f"== {summary['files']} files ({summary['marker_files']} with markers), "
        f"{len(summary['groups']) * len(summary['apps'])} apps x {len(summary['envs'])} envs",
        f"{'command':<16}{'wall s':>8}{'floor s':>9}{'ratio':>7}{'target':>8}{'git':>5}{'HTTP':>6}  verdict",
    ]
    for name, pairs in rows.times.items():
        tool = statistics.median(t for t, _ in pairs)
        floor = statistics.median(f for _, f in pairs)
        ratio = statistics.median(t / f for t, f in pairs if f > 0)
        git, http = rows.counts[name]
        target = TARGETS[name]
        verdict = "met" if ratio <= target else "MISSED"
        out.append(f"{name:<16}{tool:>8.3f}{floor:>9.3f}{ratio:>6.2f}x{target:>7.1f}x{git:>5}{http:>6}  {verdict}")
    for name, kib in rows.rss.items():
        verdict = "met" if kib / 1024 <= RSS_TARGET_MIB else "MISSED"
        out.append(f"peak RSS {name}: {kib / 1024:.0f} MiB (target <= {RSS_TARGET_MIB} MiB at 100k files: {verdict})")
    return out


def _compile_package() -> None:
    """Byte-compile the package, as pip does when it installs the wheel (and as the Docker image has it).

    An editable checkout run with PYTHONDONTWRITEBYTECODE set (as CI and these machines do) would otherwise
    compile every module from source in every measured run: a cost no installed copy pays.
    """
    package = ROOT / "gitops_promotion"
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="5000,30000", help="repository sizes in files, comma-separated")
    parser.add_argument("--large", action="store_true", help="add the 100,000-file repository")
    parser.add_argument("--runs", type=int, default=3, help="paired runs per command (medians are printed)")
    parser.add_argument("--json", type=Path, help="also write the figures as JSON here")
    parser.add_argument("--only", default="", help=f"commands to measure, comma-separated, of: {', '.join(TARGETS)}")
    args = parser.parse_args()
    only = frozenset(name.strip() for name in args.only.split(",") if name.strip())
    if unknown := only - TARGETS.keys():
        parser.error(f"--only: unknown command {', '.join(sorted(unknown))} (known: {', '.join(TARGETS)})")
    sizes = [int(s) for s in args.sizes.split(",") if s] + ([100_000] if args.large else [])
    _compile_package()
    results = []
    for files in sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-floor-{files}-") as name:
            summary, rows = measure(files, args.runs, Path(name), only)
        print("\n".join(report(summary, rows)), flush=True)
        results.append({"files": files, "times": rows.times, "counts": rows.counts, "rss_kib": rows.rss})
    print("(wall: the CLI in its own process; floor: its git commands in one sh script + its HTTP requests in one")
    print(" keep-alive curl; set-image vs `git grep -l` on the worktree; --version vs `python -c pass`; medians)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
