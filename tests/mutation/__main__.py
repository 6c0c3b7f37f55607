"""A small mutation check: break one critical line at a time and see whether the tests notice.

Run on demand (it takes minutes, so it is not part of `make test`):

    make mutants                      # every mutant
    .venv/bin/python -m tests.mutation gate-failure lease   # some, by name

Each mutant is applied to a copy of the package in a temporary directory (the checkout is never touched) and the
mutant's tests run against that copy through PYTHONPATH, so subprocesses see it too. A mutant the tests do not
kill is a survivor: a line whose breaking no test notices. The exit code is the number of survivors (0 = all
killed); a mutant whose line is no longer in the code is reported as stale, so the list cannot rot silently.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from tests.mutation.mutants import MUTANTS, Mutant

ROOT = Path(__file__).resolve().parents[2]


def _apply(copy: Path, mutant: Mutant) -> bool:
    path = copy / mutant.file
    text = path.read_text(encoding="utf-8")
    if text.count(mutant.line) != 1:
        return False
    path.write_text(text.replace(mutant.line, mutant.mutated), encoding="utf-8")
    return True


def _run(mutant: Mutant) -> str:
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        copy = Path(tmp)
        shutil.copytree(ROOT / "gitops_promotion", copy / "gitops_promotion")
        shutil.copytree(ROOT / "tests", copy / "tests", ignore=shutil.ignore_patterns("__pycache__"))
        shutil.copy(ROOT / "pyproject.toml", copy / "pyproject.toml")
        if not _apply(copy, mutant):
            return "stale"
        env = {**os.environ, "PYTHONPATH": str(copy)}
        proc = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", *mutant.tests],
            cwd=copy,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        # pytest: 0 all passed (the mutant survived), 1 a test failed (killed); anything else is a broken run.
        return {0: "SURVIVED", 1: "killed"}.get(proc.returncode, f"error (pytest exit {proc.returncode})")


def main(argv: list[str]) -> int:
    chosen = [m for m in MUTANTS if not argv or m.name in argv]
    unknown = set(argv) - {m.name for m in MUTANTS}
    if unknown:
        print(f"unknown mutant(s): {', '.join(sorted(unknown))}", file=sys.stderr)
        return 2
    survivors = 0
    for mutant in chosen:
        verdict = _run(mutant)
        survivors += verdict != "killed"
        print(f"{verdict:>8}  {mutant.name}: {mutant.file}: {mutant.why}", flush=True)
    print(f"{len(chosen) - survivors} killed, {survivors} survived or stale, of {len(chosen)} mutants")
    return survivors


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
