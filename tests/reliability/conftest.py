"""Fixtures for the reliability suite: fake forges with fault injection, fast retries, a threaded CLI runner."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from gitops_promotion.providers import ADAPTERS
from tests.forge.fixtures import github_schemas
from tests.forge.github_schema import GitHubSchemas
from tests.reliability import forges, injection
from tests.reliability.cli_runner import CliRunner

__all__ = ["github_schemas"]
TOKEN = forges.TOKEN

FORGES = ("github", "azdo")
FIGURES: list[str] = []  # the counts the suite proves, shown at the end of every run (not only with -s)


def figure(line: str) -> None:
    """Record a line of figures for the terminal summary."""
    FIGURES.append(line)


FIGURES_FILE = Path(__file__).resolve().parents[2] / ".cache" / "reliability-figures.txt"


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if FIGURES:
        terminalreporter.section("reliability figures")
        for line in FIGURES:
            terminalreporter.write_line(line)


def pytest_sessionfinish(session: pytest.Session) -> None:
    """Keep the figures in a file too: a runner with no terminal summary (-p no:terminal, IDEs) loses them."""
    if FIGURES:
        FIGURES_FILE.parent.mkdir(parents=True, exist_ok=True)
        FIGURES_FILE.write_text("".join(f"{line}\n" for line in FIGURES), encoding="utf-8")


ForgeFactory = Callable[..., forges.Forge]


@pytest.fixture(autouse=True)
def fast_retries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Providers built by the CLI get a recording sleep: retries and Retry-After waits cost no time."""
    for name, target in injection.FAST_ADAPTERS.items():
        monkeypatch.setitem(ADAPTERS, name, target)
    injection.SLEEPS.clear()
    injection.PROVIDER_HOOKS.clear()
    yield injection.SLEEPS


@pytest.fixture
def make_forge(
    tmp_path: Path, github_schemas: GitHubSchemas, monkeypatch: pytest.MonkeyPatch
) -> Iterator[ForgeFactory]:
    """``make(kind, apps, token=TOKEN)`` starts a fake forge over a seeded repo and points the CLI's env at it.

    The test fails if any request the tool sent would be rejected by the real forge's API description.
    """
    started: list[forges.Forge] = []

    def make(kind: str, apps: list[str], *, token: str = TOKEN, name: str = "forge") -> forges.Forge:
        forge = forges.make_forge(kind, tmp_path / f"{name}-{kind}", apps, token, github_schemas)
        started.append(forge)
        for key, value in forge.environ().items():
            monkeypatch.setenv(key, value)
        return forge

    yield make
    violations = []
    for forge in started:
        forge.stop()
        violations += forge.violations()
    if violations:
        pytest.fail("requests the real forge would reject:\n" + "\n".join(violations[:20]), pytrace=False)


@pytest.fixture
def cli() -> Iterator[CliRunner]:
    with CliRunner() as runner:
        yield runner
