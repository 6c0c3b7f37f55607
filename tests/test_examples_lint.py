"""Every file users copy (examples/, action.yml), every file `init` writes and the project's own pipelines
(.github/) pass the linters CI runs: actionlint, zizmor (offline, pedantic) and check-jsonschema's built-in
GitHub, Dependabot and Azure Pipelines schemas."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gitops_promotion import __version__
from gitops_promotion.commands.app_repo import APP_TARGETS
from gitops_promotion.commands.init import TARGETS, render_template
from tests.tools import ensure_actionlint

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "workflows"
GITHUB_WORKFLOWS = sorted((EXAMPLES / "github").glob("*.yml"))
AZURE_PIPELINES = sorted((EXAMPLES / "azure").rglob("*.yml"))
ACTION = ROOT / "action.yml"
PROJECT_WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
ZIZMOR_CONFIG = ROOT / ".github" / "zizmor.yml"
BIN = Path(sys.executable).parent


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        found = shutil.which(name)
        assert found, f"{name} is not installed (it is in the dev extras: pip install -e '.[dev]')"
        return found
    return str(path)


def _run(*command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)


@pytest.fixture(scope="session")
def actionlint() -> list[str]:
    return ensure_actionlint()


def _actionlint(command: list[str], files: list[Path]) -> list[dict[str, Any]]:
    proc = _run(*command, *map(str, files))
    assert proc.returncode == 0, proc.stderr
    findings: list[dict[str, Any]] = json.loads(proc.stdout)
    return findings


def test_the_examples_exist() -> None:
    names = {p.name for p in GITHUB_WORKFLOWS}
    assert {f"gitops-promotion-{c}.yml" for c in ("new", "promote", "status", "reconcile")} <= names
    azure = {p.relative_to(EXAMPLES / "azure").as_posix() for p in AZURE_PIPELINES}
    assert {
        "gitops-promotion-new.yml",
        "gitops-promotion-promote.yml",
        "gitops-promotion-status.yml",
        "gitops-promotion-reconcile.yml",
        "app-pipeline.yml",
        "templates/gitops-promotion.yml",
    } <= azure


@pytest.mark.slow
def test_actionlint_passes_the_github_workflows(actionlint: list[str]) -> None:
    assert _actionlint(actionlint, GITHUB_WORKFLOWS) == []


def test_actionlint_passes_the_projects_own_workflows(actionlint: list[str]) -> None:
    assert [p.name for p in PROJECT_WORKFLOWS] == ["ci.yml", "release.yml"]
    assert _actionlint(actionlint, PROJECT_WORKFLOWS) == []


@pytest.mark.slow
def test_actionlint_catches_a_broken_workflow(actionlint: list[str], tmp_path: Path) -> None:
    """The linter really runs: an unknown job key and a context used where it is not allowed are reported."""
    bad = tmp_path / "bad.yml"
    text = (EXAMPLES / "github" / "gitops-promotion-status.yml").read_text()
    bad.write_text(text.replace("timeout-minutes:", "timeout-minute:").replace("github.head_ref", "steps.x"))
    messages = " ".join(f["message"] for f in _actionlint(actionlint, [bad]))
    assert 'unexpected key "timeout-minute"' in messages
    assert 'context "steps" is not allowed here' in messages


@pytest.mark.slow
def test_actionlint_passes_the_action_steps(actionlint: list[str], tmp_path: Path) -> None:
    """actionlint reads workflows, not action metadata: lint action.yml's steps as a reusable workflow's job,
    with the action's inputs declared as workflow_call inputs so every ${{ inputs.* }} is type-checked."""
    action = YAML(typ="safe").load(ACTION.read_text())
    workflow = {
        "on": {"workflow_call": {"inputs": {name: {"type": "string", "required": False} for name in action["inputs"]}}},
        "permissions": {},
        "jobs": {"action": {"runs-on": "ubuntu-latest", "steps": action["runs"]["steps"]}},
    }
    path = tmp_path / "action-as-workflow.yml"
    with path.open("w") as handle:
        YAML().dump(workflow, handle)
    assert _actionlint(actionlint, [path]) == []


def _zizmor(*paths: Path, pedantic: bool = True) -> subprocess.CompletedProcess[str]:
    persona = ["--persona", "pedantic"] if pedantic else []
    return _run(
        _tool("zizmor"), "--config", str(ZIZMOR_CONFIG), "--offline", *persona, "--no-progress", *map(str, paths)
    )


def test_zizmor_finds_nothing_even_pedantic() -> None:
    proc = _zizmor(*GITHUB_WORKFLOWS, ACTION, *PROJECT_WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_zizmor_allows_only_this_projects_action_by_tag(tmp_path: Path) -> None:
    """The config's one exception (examples use gitops-promotion's moving major tag) covers no other action."""
    bad = tmp_path / "bad.yml"
    text = (EXAMPLES / "github" / "gitops-promotion-new.yml").read_text()
    bad.write_text(re.sub(r"actions/checkout@[0-9a-f]{40}", "someone/checkout@v7", text))
    proc = _zizmor(bad)
    assert proc.returncode != 0
    assert "unpinned-uses" in proc.stdout and "someone/checkout@v7" in proc.stdout


def test_zizmor_flags_an_input_pasted_into_a_script(tmp_path: Path) -> None:
    """The property action.yml keeps (inputs reach the shell only through env) is one zizmor enforces."""
    bad = tmp_path / "action.yml"
    text = ACTION.read_text().replace(
        'exec "$PYTHON" -I -m gitops_promotion "$GITOPS_PROMOTION_ACTION"',
        'exec "$PYTHON" -I -m gitops_promotion ${{ inputs.action }}',
    )
    assert text != ACTION.read_text()
    bad.write_text(text)
    proc = _zizmor(bad, pedantic=False)
    assert proc.returncode != 0
    assert "template-injection" in proc.stdout


@pytest.mark.parametrize("path", GITHUB_WORKFLOWS + PROJECT_WORKFLOWS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_github_workflow_schema(path: Path) -> None:
    proc = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-workflows", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_dependabot_schema_and_ecosystems() -> None:
    path = ROOT / ".github" / "dependabot.yml"
    proc = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(path))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    updates = YAML(typ="safe").load(path.read_text())["updates"]
    ecosystems = {u["package-ecosystem"]: u.get("directories", [u.get("directory")]) for u in updates}
    assert ecosystems["pip"] == ["/", "/requirements"]  # requirements.txt and requirements/*.txt
    assert ecosystems["github-actions"] == ["/"]  # .github/workflows and action.yml
    assert ecosystems["docker"] == ["/"]  # the Dockerfile's base image


def test_dependabot_schema_rejects_a_broken_config(tmp_path: Path) -> None:
    bad = tmp_path / "dependabot.yml"
    bad.write_text((ROOT / ".github" / "dependabot.yml").read_text().replace("interval: weekly", "interval: hourly", 1))
    proc = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.dependabot", str(bad))
    assert proc.returncode != 0


def test_action_schema() -> None:
    proc = _run(_tool("check-jsonschema"), "--builtin-schema", "vendor.github-actions", str(ACTION))
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_action_inputs_and_outputs_are_the_documented_ones() -> None:
    action = YAML(typ="safe").load(ACTION.read_text())
    assert list(action["inputs"]) == [
        "action",
        "token",
        "github-app-id",
        "github-app-private-key",
        "group",
        "app",
        "tag",
        "digest",
        "registry-auth",
        "env",
        "feature",
        "config",
        "working-directory",
        "dry-run",
    ]
    assert list(action["outputs"]) == ["pr-number", "pr-url", "branch", "environment", "result"]
    assert action["runs"]["using"] == "composite"
    # Inputs reach the CLI through GITOPS_PROMOTION_* variables only, never inside a script's text.
    for step in action["runs"]["steps"]:
        assert "inputs." not in step.get("run", "")


@pytest.mark.parametrize("path", AZURE_PIPELINES, ids=lambda p: p.relative_to(EXAMPLES).as_posix())
def test_azure_pipeline_schema(path: Path) -> None:
    proc = _run(
        _tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.azure-pipelines",
        "--regex-variant",
        "python",
        "--data-transform",
        "azure-pipelines",
        str(path),
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_azure_schema_rejects_a_broken_pipeline(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yml"
    text = (EXAMPLES / "azure" / "gitops-promotion-promote.yml").read_text()
    bad.write_text(text.replace("steps:", "stepz:"))
    proc = _run(
        _tool("check-jsonschema"),
        "--builtin-schema",
        "vendor.azure-pipelines",
        "--regex-variant",
        "python",
        "--data-transform",
        "azure-pipelines",
        str(bad),
    )
    assert proc.returncode != 0


def test_init_templates_are_the_examples() -> None:
    """`init` writes exactly what examples/ shows (rendered for branch main and this version)."""
    pairs = {
        "github-new.yml": "github/gitops-promotion-new.yml",
        "github-promote.yml": "github/gitops-promotion-promote.yml",
        "github-status.yml": "github/gitops-promotion-status.yml",
        "github-reconcile.yml": "github/gitops-promotion-reconcile.yml",
        "azure-new.yml": "azure/gitops-promotion-new.yml",
        "azure-promote.yml": "azure/gitops-promotion-promote.yml",
        "azure-status.yml": "azure/gitops-promotion-status.yml",
        "azure-reconcile.yml": "azure/gitops-promotion-reconcile.yml",
        "azure-steps.yml": "azure/templates/gitops-promotion.yml",
        "github-app.yml": "github/app-image-pushed.yml",
        "azure-app.yml": "azure/app-pipeline.yml",
        "gitlab-promotion.yml": "gitlab/gitops-promotion.yml",
        **{f"gitea-{c}.yml": f"gitea/gitops-promotion-{c}.yml" for c in ("new", "promote", "status", "reconcile")},
    }
    written = {name for targets in TARGETS.values() for name in targets} | {t for t, _ in APP_TARGETS.values()}
    assert set(pairs) == written
    for template, example in pairs.items():
        rendered = render_template(template, default_branch="main", action_ref=None, version=__version__)
        assert rendered == (EXAMPLES / example).read_text(), template


def test_every_example_file_is_linted() -> None:
    """A new file under examples/ must land where a linter picks it up (github/, azure/; gitlab/ and gitea/ are
    linted in tests/test_forge_examples_lint.py)."""
    forges = {*(EXAMPLES / "gitlab").glob("*.yml"), *(EXAMPLES / "gitea").glob("*.yml")}
    linted = set(GITHUB_WORKFLOWS) | set(AZURE_PIPELINES) | forges
    stray = [p.relative_to(ROOT).as_posix() for p in (ROOT / "examples").rglob("*") if p.is_file() and p not in linted]
    assert stray == []
