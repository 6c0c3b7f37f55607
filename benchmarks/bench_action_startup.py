"""What the GitHub Action's own steps cost, and CLI start-up against a bare interpreter.

1. The action's install step: `python -m venv` + `pip install <this repo>` with pip's cache warm (the
   composite action restores that cache with actions/cache), timed on a second run after one that warms it.
2. The cache-hit path the action takes instead: the venv restored from an archive (measured here as the
   local extraction of a tar of it; the download from GitHub's cache service comes on top) and checked with
   `--version`.
3. `gitops-promotion --version` and `--help` from that venv vs `python -c pass` (median of N runs); the
   design target is start-up within 3x of a bare interpreter.

    python benchmarks/bench_action_startup.py [--runs 15] [--cache-dir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=tempfile.gettempdir())
    return time.perf_counter() - start


def install(target: Path, cache: Path) -> tuple[float, float]:
    """(venv seconds, pip install seconds) for the action's install step into ``target``."""
    env = {**os.environ, "PIP_CACHE_DIR": str(cache), "PIP_DISABLE_PIP_VERSION_CHECK": "1"}
    venv_s = _timed([sys.executable, "-m", "venv", str(target)], env)
    pip_s = _timed([str(target / "bin" / "python"), "-m", "pip", "install", "--quiet", str(ROOT)], env)
    return venv_s, pip_s


def restore(venv: Path, archive: Path) -> tuple[float, int]:
    """(seconds to extract, archive bytes): tar the venv, remove it, extract it back in place."""
    subprocess.run(["tar", "-czf", str(archive), "-C", str(venv.parent), venv.name], check=True)
    shutil.rmtree(venv)
    seconds = _timed(["tar", "-xzf", str(archive), "-C", str(venv.parent)])
    return seconds, archive.stat().st_size


def median_ms(command: list[str], runs: int) -> float:
    _timed(command)  # warm the OS file cache and .pyc files
    return statistics.median(_timed(command) for _ in range(runs)) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--cache-dir", type=Path, help="pip cache to use [default: a new one, warmed first]")
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-action-"))
    try:
        cache = options.cache_dir or work / "pip-cache"
        cold_venv, cold_pip = install(work / "cold", cache)
        warm_venv, warm_pip = install(work / "warm", cache)
        restore_s, archive_bytes = restore(work / "warm", work / "venv.tgz")
        cli = str(work / "warm" / "bin" / "gitops-promotion")
        check_s = _timed([cli, "--version"])
        bare = median_ms([sys.executable, "-c", "pass"], options.runs)
        version = median_ms([cli, "--version"], options.runs)
        help_ms = median_ms([cli, "--help"], options.runs)
        doctor_help = median_ms([cli, "doctor", "--help"], options.runs)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    state = "given" if options.cache_dir else "empty"
    print(
        f"cache miss, pip cache {state} (the action's miss path): venv {cold_venv:.2f} s"
        f" + pip install {cold_pip:.2f} s = {cold_venv + cold_pip:.2f} s"
    )
    print(
        f"cache miss, warm pip cache: venv {warm_venv:.2f} s + pip install {warm_pip:.2f} s"
        f" = {warm_venv + warm_pip:.2f} s"
    )
    print(
        f"cache hit: extract the venv ({archive_bytes / 2**20:.0f} MiB gzip) {restore_s:.2f} s"
        f" + --version check {check_s:.2f} s (download time not included)"
    )
    print(f"python -c pass                         {bare:7.1f} ms (median of {options.runs})")
    print(f"gitops-promotion --version             {version:7.1f} ms  ({version / bare:.2f}x bare python)")
    print(f"gitops-promotion --help                {help_ms:7.1f} ms  ({help_ms / bare:.2f}x)")
    print(f"gitops-promotion doctor --help         {doctor_help:7.1f} ms  ({doctor_help / bare:.2f}x)")
    print(
        f"action overhead before the command: ~{restore_s + check_s:.1f} s on a cache hit (+ download),"
        f" ~{cold_venv + cold_pip:.0f} s on a miss"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
