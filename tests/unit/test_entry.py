"""The console script's fast paths (issue 17): `--version` without click, exit codes passed through."""

from __future__ import annotations

import subprocess
import sys

import pytest

from gitops_promotion.cli import main


def test_version_matches_click_and_skips_its_import(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--version"]) == 0
    from_click = capsys.readouterr().out
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "gitops_promotion", "--version"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert proc.stdout == from_click
    imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if "|" in line}
    assert "gitops_promotion" in imported
    assert "click" not in imported


def test_other_arguments_reach_click_and_its_exit_code() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "gitops_promotion", "no-such-command"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "no-such-command" in proc.stderr
