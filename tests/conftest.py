"""Shared fixtures: real git repositories on disk (a bare "remote" and a clone), like the users' own."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test",
    "GIT_AUTHOR_EMAIL": "test@example.invalid",
    "GIT_COMMITTER_NAME": "Test",
    "GIT_COMMITTER_EMAIL": "test@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """No CI variables or tokens from the machine running the tests leak into a test."""
    for name in list(os.environ):
        if name.startswith(("GITHUB_", "GITOPS_PROMOTION_", "SYSTEM_", "BUILD_", "AZURE_DEVOPS")) or name in (
            "TF_BUILD",
            "RUNNER_TEMP",
        ):
            monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    for key, value in GIT_ENV.items():
        monkeypatch.setenv(key, value)
    yield


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` and return stdout (tests only; the product goes through gitrepo.py)."""
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise AssertionError(f"git {' '.join(args)} failed: {proc.stderr}")
    return proc.stdout.strip()


@pytest.fixture
def example_repo(tmp_path: Path) -> tuple[Path, Path]:
    """(bare remote, clone) with the demo's three-environment layout pushed to main."""
    from gitops_promotion.commands.demo import generate_example

    return generate_example(tmp_path)
