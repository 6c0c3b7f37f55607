"""The reliability figures survive a runner that shows no terminal summary: they are written to a file too."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.reliability import conftest


def test_session_end_writes_the_figures(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "figures.txt"
    monkeypatch.setattr(conftest, "FIGURES_FILE", target)
    monkeypatch.setattr(conftest, "FIGURES", ["[faults github] runs=6 completed=6", "[secrets] paths=12"])
    conftest.pytest_sessionfinish(session=None)  # type: ignore[arg-type]  # the hook does not read the session
    assert target.read_text().splitlines() == ["[faults github] runs=6 completed=6", "[secrets] paths=12"]


def test_no_figures_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "figures.txt"
    monkeypatch.setattr(conftest, "FIGURES_FILE", target)
    monkeypatch.setattr(conftest, "FIGURES", [])
    conftest.pytest_sessionfinish(session=None)  # type: ignore[arg-type]  # the hook does not read the session
    assert not target.exists()
