"""action.yml's own shell steps, run as a runner would run them (bash -eo pipefail, $GITHUB_OUTPUT files,
step outputs, inputs as ${{ }} expressions in env), against a local forge: the composite action end to end,
minus actions/cache. Installs the locked dependencies with uv, and once with the pip fallback."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.ci.test_github_actions import parse_github_output
from tests.lockfile import RUNTIME_LOCK, parse_lock
from tests.tools import ensure_uv

ROOT = Path(__file__).resolve().parent.parent
ACTION: dict[str, Any] = YAML(typ="safe").load((ROOT / "action.yml").read_text())
_EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


class Runner:
    """Just enough of the Actions runner for a composite action's `run` steps."""

    def __init__(self, tmp: Path, inputs: dict[str, str], env: dict[str, str], action_path: Path = ROOT) -> None:
        self.tmp = tmp
        self.action_path = action_path
        self.inputs = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
        self.inputs["token"] = ""  # ${{ github.token }}: no token for the local forge
        self.inputs.update(inputs)
        self.env = env
        self.outputs: dict[str, dict[str, str]] = {}
        self.temp = tmp / "runner-temp"
        self.temp.mkdir(exist_ok=True)

    def expr(self, text: str) -> str:
        def value(match: re.Match[str]) -> str:
            parts = match.group(1).split(".")
            if parts[0] == "inputs":
                return self.inputs[parts[1]]
            if parts[0] == "steps" and parts[2] == "outputs":
                return self.outputs.get(parts[1], {}).get(parts[3], "")
            raise AssertionError(f"expression not supported by this runner: {match.group(0)}")

        return _EXPR.sub(value, text)

    def run(self) -> list[subprocess.CompletedProcess[str]]:
        done = []
        for index, step in enumerate(ACTION["runs"]["steps"]):
            if "uses" in step:
                continue  # actions/cache: a miss on the first run, the same directory on later ones
            output = self.tmp / f"output-{index}"
            output.write_text("")
            script = self.tmp / f"step-{index}.sh"
            script.write_text(step["run"])
            env = {
                **os.environ,
                **self.env,
                "GITHUB_ACTIONS": "true",
                "GITHUB_OUTPUT": str(output),
                "GITHUB_ACTION_PATH": str(self.action_path),
                "RUNNER_TEMP": str(self.temp),
                "RUNNER_OS": "Linux",
                "RUNNER_ARCH": "X64",
                **{k: self.expr(str(v)) for k, v in step.get("env", {}).items()},
            }
            cwd = self.expr(step.get("working-directory", "."))
            proc = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                env=env,
                cwd=self.env.get("GITHUB_WORKSPACE", str(self.tmp)) + "/" + cwd,
                capture_output=True,
                text=True,
                check=False,
                timeout=300,
            )
            done.append(proc)
            if proc.returncode != 0:
                break
            self.outputs[step["id"]] = parse_github_output(output.read_text())
        return done

    def action_outputs(self) -> dict[str, str]:
        return {name: self.expr(spec["value"]) for name, spec in ACTION["outputs"].items()}


@pytest.mark.slow
def test_the_action_installs_once_and_runs_the_cli(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    _, work = example_repo
    env = {"GITHUB_WORKSPACE": str(work.parent), "GITOPS_PROMOTION_PROVIDER": "local"}
    inputs = {"action": "new", "group": "apps", "app": "podinfo", "tag": "6.5.2", "working-directory": work.name}
    runner = Runner(tmp_path, inputs, env)
    steps = runner.run()
    assert [p.returncode for p in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr
    assert "created branch promote/apps-podinfo with pull request 1" in steps[-1].stdout
    assert runner.action_outputs() == {
        "pr-number": "1",
        "pr-url": runner.action_outputs()["pr-url"],
        "branch": "promote/apps-podinfo",
        "environment": "dev",
        "result": "opened",
    }
    key = runner.outputs["prepare"]["key"]
    assert re.fullmatch(r"gitops-promotion-Linux-X64-py3\.\d+\.\d+-[0-9a-f]{8}-[0-9a-f]{16}", key)
    assert "installed with uv (uv from the index)" in steps[1].stdout, steps[1].stdout + steps[1].stderr
    assert (Path(runner.outputs["prepare"]["uv"]) / "bin" / "uv").is_file()  # left for its own cache entry
    python = Path(runner.outputs["install"]["python"])
    assert_installed_is_the_lock(python)
    check = subprocess.run(
        [ensure_uv(), "pip", "check", "--python", str(python)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert check.returncode == 0, check.stdout + check.stderr  # the lock is complete: every dependency is there

    # A second run with the venv in place (a cache hit) does not reinstall.
    marker = Path(runner.outputs["prepare"]["venv"]) / "pyvenv.cfg"
    before = marker.stat().st_mtime_ns
    again = Runner(tmp_path, {**inputs, "action": "promote"}, env)
    steps = again.run()
    assert [p.returncode for p in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr
    assert marker.stat().st_mtime_ns == before
    assert again.action_outputs()["result"] == "nothing-to-do"


def installed(python: Path) -> dict[str, str]:
    """name -> version of every distribution in the venv of ``python``."""
    listing = "import importlib.metadata as m; print('\\n'.join(f'{d.name}=={d.version}' for d in m.distributions()))"
    out = subprocess.run([str(python), "-I", "-c", listing], capture_output=True, text=True, check=True, timeout=60)
    from packaging.utils import canonicalize_name

    return {canonicalize_name(n): v for n, _, v in (line.partition("==") for line in out.stdout.split())}


def assert_installed_is_the_lock(python: Path) -> None:
    """The venv holds exactly the lock's entries for this interpreter (plus pip in a pip-made venv)."""
    expected = {pin.name: pin.version for pin in parse_lock(RUNTIME_LOCK) if pin.applies()}
    found = installed(python)
    for seed in ("pip", "setuptools"):  # what `python -m venv` seeds (setuptools before Python 3.12)
        found.pop(seed, None)
    found.pop("gitops-promotion", None)  # a checkout's egg-info, when the action runs from a developer's tree
    assert found == expected


def _action_copy(tmp: Path) -> Path:
    """The files the action uses, copied (the runner downloads the action the same way, without .git)."""
    copy = tmp / "action"
    copy.mkdir()
    for name in ("action.yml", "requirements.txt", "pyproject.toml"):
        shutil.copy2(ROOT / name, copy / name)
    shutil.copytree(ROOT / "requirements", copy / "requirements")
    shutil.copytree(ROOT / "action", copy / "action", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "gitops_promotion", copy / "gitops_promotion", ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def test_pip_installs_the_same_lock_where_uv_cannot_be_installed(
    example_repo: tuple[Path, Path], tmp_path: Path
) -> None:
    """uv's own lock does not verify here (a wrong hash, as a tampered or unavailable download would be): the
    action falls back to pip, which installs the same hash-checked files."""
    _, work = example_repo
    action = _action_copy(tmp_path)
    uv_lock = action / "requirements" / "uv.txt"
    uv_lock.write_text(re.sub(r"sha256:[0-9a-f]{64}", "sha256:" + "0" * 64, uv_lock.read_text()))
    env = {"GITHUB_WORKSPACE": str(work.parent), "GITOPS_PROMOTION_PROVIDER": "local"}
    inputs = {"action": "new", "group": "apps", "app": "podinfo", "tag": "6.5.2", "working-directory": work.name}
    runner = Runner(tmp_path, inputs, env, action_path=action)
    steps = runner.run()
    assert [p.returncode for p in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr
    assert "installed with pip" in steps[1].stdout
    assert "created branch promote/apps-podinfo with pull request 1" in steps[-1].stdout
    python = Path(runner.outputs["install"]["python"])
    assert_installed_is_the_lock(python)
    check = subprocess.run([str(python), "-m", "pip", "check"], capture_output=True, text=True, check=False, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_a_lock_that_does_not_verify_stops_the_action(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    """The dependencies' hashes are checked by whichever installer runs: a changed hash fails the step and the
    command never runs."""
    _, work = example_repo
    action = _action_copy(tmp_path)
    lock = action / "requirements.txt"
    first = re.search(r"(click==\S+ \\\n)((?:    --hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", lock.read_text())
    assert first is not None
    lock.write_text(lock.read_text().replace(first.group(2), "    --hash=sha256:" + "0" * 64 + "\n"))
    env = {"GITHUB_WORKSPACE": str(work.parent), "GITOPS_PROMOTION_PROVIDER": "local"}
    runner = Runner(tmp_path, {"action": "show", "working-directory": work.name}, env, action_path=action)
    steps = runner.run()
    assert [p.returncode for p in steps][:2] == [0, 1] and len(steps) == 2
    assert "click" in steps[1].stderr.lower() and "hash" in steps[1].stderr.lower(), steps[1].stderr


def test_a_venv_that_no_longer_starts_is_reinstalled(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    """A restored cache whose interpreter is gone is not trusted."""
    _, work = example_repo
    env = {"GITHUB_WORKSPACE": str(work.parent), "GITOPS_PROMOTION_PROVIDER": "local"}
    runner = Runner(tmp_path, {"action": "show", "working-directory": work.name}, env)
    venv = runner.temp / "gitops-promotion" / "venv"
    (venv / "bin").mkdir(parents=True)
    (venv / "bin" / "python").symlink_to(tmp_path / "gone" / "python3")
    steps = runner.run()
    assert [p.returncode for p in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr
    assert "installed with" in steps[1].stdout
    assert Path(runner.outputs["install"]["python"]).resolve() != (tmp_path / "gone" / "python3")


def test_an_unknown_action_input_is_refused(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    """Checked before anything is installed or run (the input is never pasted into the script)."""
    _, work = example_repo
    runner = Runner(
        tmp_path, {"action": "deploy; rm -rf /", "working-directory": work.name}, {"GITHUB_WORKSPACE": str(work.parent)}
    )
    runner.outputs["install"] = {"python": "/nonexistent"}
    run_step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "run")
    script = tmp_path / "run.sh"
    script.write_text(run_step["run"])
    env = {**os.environ, **{k: runner.expr(str(v)) for k, v in run_step["env"].items()}}
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert proc.returncode == 2
    assert proc.stdout.startswith("::error title=gitops-promotion::input 'action' must be one of new,")


@pytest.mark.parametrize("name", ["action", "group", "app", "tag", "env", "config", "dry-run", "token"])
def test_every_input_reaches_the_cli_as_an_env_var(name: str) -> None:
    run_step = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "run")
    variable = "GITOPS_PROMOTION_" + name.upper().replace("-", "_")
    assert run_step["env"][variable] == "${{ inputs." + name + " }}"


def test_the_cache_key_follows_the_lock(tmp_path: Path) -> None:
    """The cached venv holds the locked dependencies only: the key changes exactly when the lock does."""

    def key(action_path: Path) -> str:
        return prepare_outputs(action_path, tmp_path)["key"]

    action = _action_copy(tmp_path)
    before = key(action)
    assert before.endswith("-" + hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()[:16])
    (action / "gitops_promotion" / "cli" / "__init__.py").write_text("# changed code, same dependencies\n")
    assert key(action) == before
    with (action / "requirements.txt").open("a") as lock:
        lock.write("# relocked\n")
    assert key(action) != before


def prepare_outputs(action_path: Path, tmp_path: Path, os_name: str = "Linux", arch: str = "X64") -> dict[str, str]:
    """The outputs of the action's `prepare` step (cache keys and paths) on a runner of ``os_name``/``arch``."""
    prepare = next(s for s in ACTION["runs"]["steps"] if s.get("id") == "prepare")
    output = tmp_path / "output"
    output.write_text("")
    env = {
        **os.environ,
        "GITHUB_OUTPUT": str(output),
        "GITHUB_ACTION_PATH": str(action_path),
        "RUNNER_TEMP": str(tmp_path),
        "RUNNER_OS": os_name,
        "RUNNER_ARCH": arch,
    }
    subprocess.run(["bash", "-eo", "pipefail", "-c", prepare["run"]], env=env, check=True, timeout=60)
    return parse_github_output(output.read_text())
