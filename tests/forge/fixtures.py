"""pytest fixtures for the fake GitHub; conftest files import them by name (the root conftest is not ours)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.forge.github_fake import FakeGitHub
from tests.forge.github_schema import GitHubSchemas, load_schemas

GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Author",
    "GIT_AUTHOR_EMAIL": "author@example.invalid",
    "GIT_COMMITTER_NAME": "Test Author",
    "GIT_COMMITTER_EMAIL": "author@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity; returns stripped stdout."""
    done = subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, check=False, env={**os.environ, **GIT_ENV}
    )
    if done.returncode != 0:
        msg = f"git {' '.join(args)} failed: {done.stderr.strip()}"
        raise RuntimeError(msg)
    return done.stdout.strip()


def seed_bare_repo(root: Path, files: dict[str, str], branch: str = "main") -> Path:
    """A bare repository at ``root/remote.git`` whose ``branch`` holds ``files`` in one commit."""
    bare = root / "remote.git"
    git(root, "init", "--bare", "-b", branch, str(bare))
    seed = root / "seed"
    git(root, "init", "-b", branch, str(seed))
    for name, text in files.items():
        path = seed / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    git(seed, "add", "-A")
    git(seed, "commit", "-m", "initial layout")
    git(seed, "push", str(bare), f"HEAD:refs/heads/{branch}")
    return bare


def clone(bare: Path, dest: Path) -> Path:
    git(bare.parent, "clone", "--quiet", str(bare), str(dest))
    return dest


@pytest.fixture(scope="session")
def github_schemas() -> GitHubSchemas:
    """GitHub's OpenAPI document and GraphQL schema, fetched (pinned) and parsed once per session."""
    return load_schemas()


FakeFactory = Callable[..., FakeGitHub]


@pytest.fixture
def github_fake_factory(github_schemas: GitHubSchemas) -> Iterator[FakeFactory]:
    """``make(bare, **options)`` starts a FakeGitHub; the test fails if any request violated GitHub's spec."""
    started: list[FakeGitHub] = []

    def make(bare: Path, **options: Any) -> FakeGitHub:
        fake = FakeGitHub(bare, github_schemas, **options).start()
        started.append(fake)
        return fake

    yield make
    violations = []
    for fake in started:
        fake.stop()
        violations.extend(fake.violations)
    if violations:
        pytest.fail("requests GitHub would reject:\n" + "\n".join(violations), pytrace=False)
