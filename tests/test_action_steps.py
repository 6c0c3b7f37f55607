"""action.yml's own shell steps, run as a runner would run them (bash -eo pipefail, $GITHUB_OUTPUT files,
step outputs, inputs as ${{ }} expressions in env), against a local forge: the composite action end to end,
minus actions/cache. Installs the package from the repo (about 10 s from a warm pip cache)."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from tests.ci.test_github_actions import parse_github_output

ROOT = Path(__file__).resolve().parent.parent
ACTION: dict[str, Any] = YAML(typ="safe").load((ROOT / "action.yml").read_text())
_EXPR = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


class Runner:
    """Just enough of the Actions runner for a composite action's `run` steps."""

    def __init__(self, tmp: Path, inputs: dict[str, str], env: dict[str, str]) -> None:
        self.tmp = tmp
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
                "GITHUB_ACTION_PATH": str(ROOT),
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

    # A second run with the venv in place (a cache hit) does not reinstall.
    marker = Path(runner.outputs["prepare"]["venv"]) / "pyvenv.cfg"
    before = marker.stat().st_mtime_ns
    again = Runner(tmp_path, {**inputs, "action": "promote"}, env)
    steps = again.run()
    assert [p.returncode for p in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr
    assert marker.stat().st_mtime_ns == before
    assert again.action_outputs()["result"] == "nothing-to-do"


def test_an_unknown_action_input_is_refused(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    """Checked before anything is installed or run (the input is never pasted into the script)."""
    _, work = example_repo
    runner = Runner(
        tmp_path, {"action": "deploy; rm -rf /", "working-directory": work.name}, {"GITHUB_WORKSPACE": str(work.parent)}
    )
    runner.outputs["install"] = {"bin": "/nonexistent"}
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
