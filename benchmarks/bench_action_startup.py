"""What the GitHub Action's install step costs on a cache miss and a hit, uv against the pip fallback, and CLI
start-up.

action.yml's own `install` step is replayed (bash, the step's env, $GITHUB_OUTPUT) on this machine. The action
has two cache entries: the venv (key: OS, arch, Python, path, requirements.txt) and uv itself (key: OS, arch,
requirements/uv.txt), the second looked up only when the first misses. The cases:

1. miss, fresh runner: no cache entry at all and empty installer caches, as on a repository's first run (or a
   new runner OS): action/fetch_uv.py downloads uv (hash-checked), `uv venv`, `uv pip install` downloads every
   locked file. Median of --rounds runs.
2. miss after a lock change: requirements.txt changed (a new release of the action), uv.txt did not, so uv's
   entry is restored (timed: extracting its archive, made as actions/cache makes it, zstd where available; the
   download from GitHub's cache service comes on top) and the step downloads the locked files. Median.
3. the same with uv's package cache warm (every file local): the installers' own work, no network. Median.
4. uv itself, alone: fetch_uv.py against `pip install` of the same hash-checked wheel (what the step did before;
   still its fallback). Median of each, and the ratio.
5. the pip fallback (uv's lock made unverifiable in a copy of the action, as on a runner where no uv wheel fits
   or uv does not start): `python -m venv` + `pip install` of the same lock, empty and then warm pip cache, one
   run each; the ratio pip/uv against cases 1 and 3.
6. hit: the venv restored from its archive (extract timed; download not included) plus the step itself, which
   links the package and checks `--version`.
7. `gitops-promotion --version` and `--help` against `python -c pass` (median of --runs).

    python benchmarks/bench_action_startup.py [--rounds 3] [--runs 15]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
STEP = next(
    s for s in YAML(typ="safe").load((ROOT / "action.yml").read_text())["runs"]["steps"] if s.get("id") == "install"
)
# actions/cache's archive: zstd (multi-threaded, long window) where the runner has it, else gzip.
ZSTD = ["--use-compress-program", "zstdmt --long=30"] if shutil.which("zstdmt") else ["-z"]
UNZSTD = ["--use-compress-program", "unzstd --long=30"] if shutil.which("zstdmt") else ["-z"]


def _timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=tempfile.gettempdir())
    return time.perf_counter() - start


def install_step(action: Path, work: Path, caches: Path) -> tuple[float, str]:
    """(seconds, what the step printed about its installer) for one run of the install step into ``work``."""
    output = work / "output"
    output.write_text("")
    env = {
        **os.environ,
        "GITHUB_ACTION_PATH": str(action),
        "GITHUB_OUTPUT": str(output),
        "PY": sys.executable,
        "VENV": str(work / "venv"),
        "UV_DIR": str(work / "uv"),
        "PIP_CACHE_DIR": str(caches / "pip"),
        "UV_CACHE_DIR": str(caches / "uv"),
    }
    start = time.perf_counter()
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", STEP["run"]],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"the install step failed:\n{proc.stdout}\n{proc.stderr}")
    found = re.search(r"installed with (.+)", proc.stdout)
    return seconds, found.group(1) if found else "nothing (venv in place)"


def pip_only_copy(work: Path) -> Path:
    """The action's files with uv's lock made unverifiable: the step falls back to pip."""
    copy = work / "action-pip"
    copy.mkdir()
    for name in ("action.yml", "requirements.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    shutil.copytree(ROOT / "requirements", copy / "requirements")
    shutil.copytree(ROOT / "action", copy / "action", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "gitops_promotion", copy / "gitops_promotion", ignore=shutil.ignore_patterns("__pycache__"))
    uv_lock = copy / "requirements" / "uv.txt"
    uv_lock.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, uv_lock.read_text()))
    return copy


def archive(directory: Path, to: Path) -> str:
    """Pack ``directory`` as actions/cache does; its compressed size."""
    subprocess.run(["tar", *ZSTD, "-cf", str(to), "-C", str(directory.parent), directory.name], check=True)
    return f"{to.stat().st_size / 2**20:.0f} MiB {'zstd' if ZSTD[0] != '-z' else 'gzip'}"


def extract(archive_path: Path, into: Path) -> float:
    return _timed(["tar", *UNZSTD, "-xf", str(archive_path), "-C", str(into)])


def miss(action: Path, work: Path, caches: Path, expected: str, before: Callable[[], float] | None = None) -> float:
    """One miss from an empty ``work``; ``before`` restores what a cache would (its seconds are added)."""
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    restore = before() if before else 0.0
    seconds, installer = install_step(action, work, caches)
    if installer != expected:
        raise SystemExit(f"expected {expected!r}, the step printed {installer!r}")
    return restore + seconds


def median_of(rounds: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(rounds))


def fetch_uv_alone(work: Path) -> float:
    shutil.rmtree(work, ignore_errors=True)
    lock = ROOT / "requirements" / "uv.txt"
    return _timed([sys.executable, str(ROOT / "action" / "fetch_uv.py"), str(lock), str(work)])


def pip_uv_alone(work: Path) -> float:
    """pip installing the hash-checked uv, with the step's flags."""
    shutil.rmtree(work, ignore_errors=True)
    lock = ROOT / "requirements" / "uv.txt"
    flags = ["--quiet", "--no-cache-dir", "--no-compile", "--only-binary", ":all:", "--no-deps", "--require-hashes"]
    return _timed([sys.executable, "-m", "pip", "install", *flags, "--target", str(work), "-r", str(lock)])


def median_ms(command: list[str], runs: int) -> float:
    _timed(command)  # warm the OS file cache and .pyc files
    return statistics.median(_timed(command) for _ in range(runs)) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="runs of each uv case (median); pip runs once")
    parser.add_argument("--runs", type=int, default=15, help="runs of each CLI start-up command (median)")
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-action-"))
    rounds = options.rounds
    try:
        pip_action = pip_only_copy(tmp)
        work, counter = tmp / "uv", iter(range(10**6))

        def fresh_caches() -> Path:
            return tmp / f"caches-{next(counter)}"

        fresh = median_of(rounds, lambda: miss(ROOT, work, fresh_caches(), "uv (uv from the index)"))
        uv_archive = tmp / "uv.tar"
        uv_size = archive(work / "uv", uv_archive)
        restores: list[float] = []

        def restore_uv() -> float:
            restores.append(extract(uv_archive, work))
            return restores[-1]

        changed = median_of(rounds, lambda: miss(ROOT, work, fresh_caches(), "uv (uv from its cache)", restore_uv))
        warm_caches = fresh_caches()
        miss(ROOT, work, warm_caches, "uv (uv from its cache)", restore_uv)  # fills uv's package cache
        warm = median_of(rounds, lambda: miss(ROOT, work, warm_caches, "uv (uv from its cache)", restore_uv))
        fetch_alone = median_of(rounds, lambda: fetch_uv_alone(tmp / "fetch-only"))
        pip_alone = median_of(rounds, lambda: pip_uv_alone(tmp / "pip-only"))
        pip_caches = fresh_caches()
        pip_cold = miss(pip_action, tmp / "pip", pip_caches, "pip")
        pip_warm = miss(pip_action, tmp / "pip", pip_caches, "pip")

        venv = work / "venv"
        venv_archive = tmp / "venv.tar"
        venv_size = archive(venv, venv_archive)
        shutil.rmtree(venv)
        venv_extract = extract(venv_archive, work)
        hit, installer = install_step(ROOT, work, warm_caches)
        assert installer.startswith("nothing"), installer
        python = str(venv / "bin" / "python")
        bare = median_ms([sys.executable, "-c", "pass"], options.runs)
        version = median_ms([python, "-I", "-m", "gitops_promotion", "--version"], options.runs)
        help_ms = median_ms([python, "-I", "-m", "gitops_promotion", "--help"], options.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    restore = statistics.median(restores)
    print(f"install step, medians of {rounds} runs (pip: one run each); archives as actions/cache makes them:")
    print(f"cache miss, fresh runner (no cache at all, every file downloaded): {fresh:.2f} s  (target < 4 s)")
    print(
        f"cache miss after a lock change (uv restored from its own entry, {uv_size}: extract {restore:.2f} s"
        f" + the step; locked files downloaded): {changed:.2f} s  (target < 4 s)"
    )
    print(f"cache miss with uv's package cache warm (no network): {warm:.2f} s")
    print(
        f"  uv itself: action/fetch_uv.py {fetch_alone:.2f} s, pip install of the same wheel {pip_alone:.2f} s"
        f" ({pip_alone / fetch_alone:.1f}x)"
    )
    print(
        f"pip fallback: {pip_cold:.2f} s with an empty pip cache (pip/uv {pip_cold / fresh:.1f}x the fresh miss),"
        f" {pip_warm:.2f} s warm ({pip_warm / warm:.1f}x)"
    )
    print(
        f"cache hit: extract the venv ({venv_size}) {venv_extract:.2f} s + the install step (link, --version)"
        f" {hit:.2f} s = {venv_extract + hit:.2f} s (download not included; target < 1.5 s)"
    )
    print(f"python -c pass                         {bare:7.1f} ms (median of {options.runs})")
    print(f"gitops-promotion --version             {version:7.1f} ms  ({version / bare:.2f}x bare python)")
    print(f"gitops-promotion --help                {help_ms:7.1f} ms  ({help_ms / bare:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
