"""Where action.yml's install step gets uv: its own cache entry (a venv miss after a lock change), else
action/fetch_uv.py from the index, else pip; each path runs the real step and installs the real lock with the uv
it got (tests/test_action_steps.py covers the fetch from the index and the pip fallback for everything)."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

from tests.fake_index import Index, serve, uv_lock, uv_wheel
from tests.test_action_steps import ACTION, Runner, _action_copy, assert_installed_is_the_lock, prepare_outputs
from tests.tools import ensure_uv

STEPS = {step.get("id"): step for step in ACTION["runs"]["steps"]}


def _inputs(work: Path) -> tuple[dict[str, str], dict[str, str]]:
    env = {"GITHUB_WORKSPACE": str(work.parent), "GITOPS_PROMOTION_PROVIDER": "local"}
    return {"action": "show", "working-directory": work.name}, env


def _wrapper(path: Path, log: Path, *, starts: bool = True) -> Path:
    """A uv that records each call and runs the real one (or, with starts=False, a corrupt copy that exits 1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = f'echo "$*" >> "{log}"\nunset UV_DEFAULT_INDEX\nexec "{ensure_uv()}" "$@"\n' if starts else "exit 1\n"
    path.write_text("#!/bin/sh\n" + body)
    path.chmod(0o755)
    return path


def test_a_uv_restored_from_its_cache_entry_is_used_and_kept(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    """A venv miss with uv's own entry restored (requirements.txt changed, uv.txt did not): no uv is fetched, and
    the directory stays for actions/cache to save."""
    _, work = example_repo
    inputs, env = _inputs(work)
    runner = Runner(tmp_path, inputs, env)
    log = tmp_path / "uv-calls"
    cached = _wrapper(runner.temp / "gitops-promotion" / "uv" / "bin" / "uv", log)
    steps = runner.run()
    assert [p.returncode for p in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr
    assert "installed with uv (uv from its cache)" in steps[1].stdout, steps[1].stdout + steps[1].stderr
    calls = log.read_text().splitlines()
    assert calls[0] == "--version" and any(c.startswith("venv ") for c in calls)
    assert any(c.startswith("pip install ") for c in calls)
    assert cached.read_text().startswith("#!/bin/sh")  # the same file: not replaced by a download
    assert runner.outputs["prepare"]["uv"] == str(cached.parent.parent)
    assert_installed_is_the_lock(Path(runner.outputs["install"]["python"]))


def test_a_restored_uv_that_does_not_start_is_fetched_again(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    _, work = example_repo
    inputs, env = _inputs(work)
    runner = Runner(tmp_path, inputs, env)
    broken = _wrapper(runner.temp / "gitops-promotion" / "uv" / "bin" / "uv", tmp_path / "log", starts=False)
    steps = runner.run()
    assert [p.returncode for p in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr
    assert "installed with uv (uv from the index)" in steps[1].stdout, steps[1].stdout + steps[1].stderr
    version = subprocess.run([str(broken), "--version"], capture_output=True, text=True, check=True, timeout=30)
    assert version.stdout.startswith("uv ")  # the fetched binary took the broken one's place, for the cache


def test_pip_installs_uv_where_it_cannot_be_fetched(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    """The index serves PEP 503 HTML only, which fetch_uv.py leaves to pip: pip installs the locked uv (here a
    stand-in wheel that runs the real uv) with its hash checked, and uv installs the dependencies."""
    _, work = example_repo
    action = _action_copy(tmp_path)
    log = tmp_path / "uv-calls"
    stand_in = _wrapper(tmp_path / "stand-in", log)
    name, wheel = uv_wheel("py3-none-any", stand_in.read_text())
    uv_lock(action / "requirements" / "uv.txt", wheel)
    with serve(Index({name: wheel}, html=True)) as index:
        inputs, env = _inputs(work)
        runner = Runner(tmp_path, inputs, {**env, "UV_DEFAULT_INDEX": index.url, "PIP_INDEX_URL": index.url})
        runner.action_path = action
        steps = runner.run()
    assert [p.returncode for p in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr
    assert "fetch_uv: the index answered text/html, not a PEP 691 JSON page" in steps[1].stderr
    assert "installed with uv (uv from pip)" in steps[1].stdout, steps[1].stdout + steps[1].stderr
    assert any(c.startswith("pip install ") for c in log.read_text().splitlines())
    assert_installed_is_the_lock(Path(runner.outputs["install"]["python"]))


def test_uvs_cache_key_follows_its_lock_and_the_runner(tmp_path: Path) -> None:
    """Keyed by OS, architecture and requirements/uv.txt: a binary is never restored onto another platform, nor
    after uv's pin changed; requirements.txt does not enter it (that is what lets a lock change reuse uv)."""

    def outputs(action_path: Path, os_name: str = "Linux", arch: str = "X64") -> dict[str, str]:
        return prepare_outputs(action_path, tmp_path, os_name, arch)

    action = _action_copy(tmp_path)
    before = outputs(action)
    uv_hash = hashlib.sha256((action / "requirements" / "uv.txt").read_bytes()).hexdigest()[:16]
    assert before["uv-key"] == f"gitops-promotion-uv-Linux-X64-{uv_hash}"
    assert before["uv"] == str(tmp_path / "gitops-promotion" / "uv")
    assert outputs(action, "Linux", "ARM64")["uv-key"] != before["uv-key"]
    assert outputs(action, "macOS", "X64")["uv-key"] != before["uv-key"]
    with (action / "requirements.txt").open("a") as lock:
        lock.write("# relocked\n")
    relocked = outputs(action)
    assert relocked["uv-key"] == before["uv-key"] and relocked["key"] != before["key"]
    with (action / "requirements" / "uv.txt").open("a") as lock:
        lock.write("# uv bumped\n")
    assert outputs(action)["uv-key"] != before["uv-key"]


def test_uvs_cache_entry_is_only_looked_up_on_a_venv_miss() -> None:
    """A hit costs one restore, not two; the entry restores to the directory the install step reads."""
    caches = [step for step in ACTION["runs"]["steps"] if str(step.get("uses", "")).startswith("actions/cache@")]
    venv, uv = caches
    assert venv["id"] == "venv-cache" and "if" not in venv
    assert venv["with"] == {"path": "${{ steps.prepare.outputs.venv }}", "key": "${{ steps.prepare.outputs.key }}"}
    assert uv["if"] == "steps.venv-cache.outputs.cache-hit != 'true'"
    assert uv["with"] == {"path": "${{ steps.prepare.outputs.uv }}", "key": "${{ steps.prepare.outputs.uv-key }}"}
    assert venv["uses"] == uv["uses"]  # one pinned actions/cache
    assert STEPS["install"]["env"]["UV_DIR"] == "${{ steps.prepare.outputs.uv }}"
