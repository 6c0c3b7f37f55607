"""Run the real CLI in-process as a CI step would, with the CI system's variables set."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitops_promotion.cli import main


@dataclass
class Step:
    code: int
    out: str
    err: str


RunStep = Callable[..., Step]


@pytest.fixture
def run_step(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> RunStep:
    """run_step(cwd, env, *argv): the CLI's exit code and output, run in ``cwd`` with ``env`` added."""

    def _run(cwd: Path, env: dict[str, str], *argv: str) -> Step:
        monkeypatch.chdir(cwd)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        capsys.readouterr()
        code = main(list(argv))
        captured = capsys.readouterr()
        return Step(code, captured.out, captured.err)

    return _run


BROKEN_CONFIG = """\
prflow: per-app
environments:
  - name: dev
    auto: true
    colour: blue
"""
BROKEN_LINE = 5  # the unknown key's line
