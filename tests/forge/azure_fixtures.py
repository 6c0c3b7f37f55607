"""Fixtures for the fake Azure DevOps: a seeded bare repository, the running fake, an adapter aimed at it."""

from __future__ import annotations

import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gitops_promotion.providers import ProviderSettings
from gitops_promotion.providers.azure_devops import AzureDevOpsProvider, build
from tests.forge.azure_fake import AzureFake

AZURE_TOKEN = "azdo-test-pat-0123456789"
AZURE_REMOTE = "https://dev.azure.com/org/proj/_git/repo"


def run_git(cwd: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise AssertionError(f"git {' '.join(args)}: {done.stderr}")
    return done.stdout.strip()


@dataclass
class Seeded:
    """A bare repository with ``main`` and a working clone to push branches from."""

    bare: Path
    work: Path
    pushed: list[str] = field(default_factory=list)

    def push_branch(self, branch: str, content: str = "change\n", path: str = "file.txt") -> str:
        """Create ``branch`` from main with one commit changing ``path``; its sha."""
        run_git(self.work, "checkout", "-q", "-B", branch, "origin/main")
        (self.work / path).write_text(content)
        run_git(self.work, "add", path)
        run_git(self.work, "commit", "-qm", f"{branch}: {path}")
        run_git(self.work, "push", "-qf", "origin", f"HEAD:refs/heads/{branch}")
        run_git(self.work, "fetch", "-q", "origin")
        return run_git(self.work, "rev-parse", "HEAD")


def seed(root: Path) -> Seeded:
    bare = root / "remote.git"
    run_git(root, "init", "-q", "--bare", "-b", "main", str(bare))
    work = root / "work"
    run_git(root, "clone", "-q", str(bare), str(work))
    (work / "README.md").write_text("seed\n")
    run_git(work, "add", "README.md")
    run_git(work, "commit", "-qm", "seed")
    run_git(work, "push", "-q", "origin", "HEAD:refs/heads/main")
    run_git(work, "fetch", "-q", "origin")
    return Seeded(bare, work)


@pytest.fixture
def azure_repo(tmp_path: Path) -> Seeded:
    return seed(tmp_path)


@pytest.fixture
def azure_forge(azure_repo: Seeded) -> Iterator[AzureFake]:
    """The fake Azure DevOps over ``azure_repo``; any request it found invalid fails the test at teardown."""
    with AzureFake(azure_repo.bare, token=AZURE_TOKEN) as fake:
        yield fake
    assert not fake.violations, "requests the real Azure DevOps would reject:\n" + "\n".join(fake.violations)


@dataclass
class Sleeps:
    """An injected sleep: records the waits instead of waiting."""

    waits: list[float] = field(default_factory=list)

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def azure_provider_factory(azure_forge: AzureFake, tmp_path: Path) -> Callable[..., tuple[AzureDevOpsProvider, Sleeps]]:
    """Build the adapter the way the CLI does (settings), pointed at the fake through ``api_url``."""

    def make(
        *, remote: str = AZURE_REMOTE, environ: dict[str, str] | None = None, token: str = AZURE_TOKEN
    ) -> tuple[AzureDevOpsProvider, Sleeps]:
        sleeps = Sleeps()
        settings = ProviderSettings(
            repo_root=tmp_path,
            remote_url=remote,
            token=token,
            api_url=azure_forge.base_url,
            environ={"AZURE_DEVOPS_CACHE_DIR": str(tmp_path / "azure-cache"), **(environ or {})},
        )
        return build(settings, sleep=sleeps), sleeps

    return make


@pytest.fixture
def azure_provider(
    azure_provider_factory: Callable[..., tuple[AzureDevOpsProvider, Sleeps]],
) -> AzureDevOpsProvider:
    return azure_provider_factory()[0]
