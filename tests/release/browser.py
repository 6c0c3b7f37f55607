"""Headless Chromium for the dashboard test: found on PATH or installed with apt (Debian package `chromium`)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--hide-scrollbars",
)


def find_chromium() -> str | None:
    for name in CANDIDATES:
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def ensure_chromium() -> str:
    """The Chromium executable; installs the Debian package when missing. Raises when that is impossible."""
    found = find_chromium()
    if found:
        return found
    apt = shutil.which("apt-get")
    if apt is None:
        msg = "Chromium is not installed and apt-get is not available to install it (Debian package `chromium`)"
        raise RuntimeError(msg)
    for args in ((apt, "update"), (apt, "install", "-y", "--no-install-recommends", "chromium")):
        proc = subprocess.run(args, capture_output=True, text=True, check=False, timeout=900)
        if proc.returncode != 0:
            msg = f"{' '.join(args)} failed: {proc.stderr.strip()[-500:]}"
            raise RuntimeError(msg)
    found = find_chromium()
    if found is None:
        msg = "apt-get installed chromium but no chromium executable is on PATH"
        raise RuntimeError(msg)
    return found


def run_chromium(binary: str, profile: Path, *args: str, timeout: float = 90) -> subprocess.CompletedProcess[str]:
    """One headless run with a fresh profile directory; stdout is what --dump-dom prints."""
    return subprocess.run(
        [binary, *FLAGS, f"--user-data-dir={profile}", *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )
