"""What the GitHub Action's install step costs, uv against the pip fallback, and CLI start-up.

action.yml's own `install` step is replayed (bash, the step's env, $GITHUB_OUTPUT) on this machine:

1. cache miss with uv (the normal path): pip installs the hash-checked uv, `uv venv`, `uv pip install` of the
   hash-pinned lock; then the same with the pip fallback (uv's lock made unverifiable in a copy of the action,
   as on a runner where no uv wheel fits): `python -m venv` + `pip install` of the same lock. Each is measured
   with empty installer caches (a fresh runner: every file downloaded from the package index) and again with
   warm ones (the files local: the installers' own work); the ratio pip/uv is printed.
2. cache hit: the venv restored from an archive (extracting a tar of it; the download from GitHub's cache
   service comes on top) plus the step itself, which links the package and checks `--version`.
3. `gitops-promotion --version` and `--help` against `python -c pass` (median of N runs).

    python benchmarks/bench_action_startup.py [--runs 15]
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
from pathlib import Path

from ruamel.yaml import YAML

ROOT = Path(__file__).resolve().parent.parent
STEP = next(
    s for s in YAML(typ="safe").load((ROOT / "action.yml").read_text())["runs"]["steps"] if s.get("id") == "install"
)


def _timed(command: list[str], env: dict[str, str] | None = None) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, capture_output=True, env=env, cwd=tempfile.gettempdir())
    return time.perf_counter() - start


def install_step(action: Path, work: Path, caches: Path) -> tuple[float, str]:
    """(seconds, installer) for one run of the action's install step into ``work``."""
    output = work / "output"
    output.write_text("")
    env = {
        **os.environ,
        "GITHUB_ACTION_PATH": str(action),
        "GITHUB_OUTPUT": str(output),
        "PY": sys.executable,
        "DIR": str(work),
        "VENV": str(work / "venv"),
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
    found = re.search(r"installed with (\w+)", proc.stdout)
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


def miss(action: Path, work: Path, caches: Path, expected: str) -> float:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    seconds, installer = install_step(action, work, caches)
    if installer != expected:
        raise SystemExit(f"expected the {expected} path, the step took {installer}")
    return seconds


def uv_bootstrap(work: Path, caches: Path) -> float:
    """The first part of the uv path alone: pip installing the hash-checked uv, as the step does."""
    lock = ROOT / "requirements" / "uv.txt"
    env = {**os.environ, "PIP_CACHE_DIR": str(caches / "pip")}
    target = ["--target", str(work / "uv-only"), "--only-binary", ":all:", "--no-deps", "--require-hashes"]
    return _timed([sys.executable, "-m", "pip", "install", "--quiet", "--no-cache-dir", *target, "-r", str(lock)], env)


def median_ms(command: list[str], runs: int) -> float:
    _timed(command)  # warm the OS file cache and .pyc files
    return statistics.median(_timed(command) for _ in range(runs)) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=15)
    options = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-action-"))
    try:
        pip_action = pip_only_copy(tmp)
        uv_cold = miss(ROOT, tmp / "uv", tmp / "caches-uv", "uv")
        pip_cold = miss(pip_action, tmp / "pip", tmp / "caches-pip", "pip")
        uv_warm = miss(ROOT, tmp / "uv", tmp / "caches-uv", "uv")
        bootstrap = uv_bootstrap(tmp, tmp / "caches-uv")
        pip_warm = miss(pip_action, tmp / "pip", tmp / "caches-pip", "pip")
        venv = tmp / "uv" / "venv"
        archive = tmp / "venv.tgz"
        subprocess.run(["tar", "-czf", str(archive), "-C", str(venv.parent), venv.name], check=True)
        shutil.rmtree(venv)
        size = f"{archive.stat().st_size / 2**20:.0f} MiB gzip"
        extract = _timed(["tar", "-xzf", str(archive), "-C", str(venv.parent)])
        hit, installer = install_step(ROOT, tmp / "uv", tmp / "caches-uv")
        assert installer.startswith("nothing"), installer
        python = str(venv / "bin" / "python")
        bare = median_ms([sys.executable, "-c", "pass"], options.runs)
        version = median_ms([python, "-I", "-m", "gitops_promotion", "--version"], options.runs)
        help_ms = median_ms([python, "-I", "-m", "gitops_promotion", "--help"], options.runs)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for label, uv_s, pip_s in (("empty", uv_cold, pip_cold), ("warm", uv_warm, pip_warm)):
        print(f"cache miss, {label} installer caches: uv {uv_s:.2f} s, pip {pip_s:.2f} s (pip/uv {pip_s / uv_s:.1f}x)")
    print(f"  of which pip installing uv itself (downloaded every time): {bootstrap:.2f} s")
    print(
        f"cache hit: extract the venv ({size}) {extract:.2f} s + the install step (link, --version)"
        f" {hit:.2f} s = {extract + hit:.2f} s (download not included)"
    )
    print(f"python -c pass                         {bare:7.1f} ms (median of {options.runs})")
    print(f"gitops-promotion --version             {version:7.1f} ms  ({version / bare:.2f}x bare python)")
    print(f"gitops-promotion --help                {help_ms:7.1f} ms  ({help_ms / bare:.2f}x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
