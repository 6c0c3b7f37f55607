"""The GitLab CI and Gitea Actions files users copy pass the linters: check-jsonschema's built-in GitLab CI
schema (a CI/CD component's `spec:` header and its jobs are two YAML documents, each checked), and actionlint
on the Gitea workflows (Gitea Actions runs GitHub-syntax workflows)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.tools import ensure_actionlint

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples" / "workflows"
GITLAB_FILES = sorted((EXAMPLES / "gitlab").glob("*.yml"))
GITEA_WORKFLOWS = sorted((EXAMPLES / "gitea").glob("*.yml"))


def _check_jsonschema() -> str:
    path = Path(sys.executable).parent / "check-jsonschema"
    found = str(path) if path.exists() else shutil.which("check-jsonschema")
    assert found, "check-jsonschema is not installed (it is in the dev extras: pip install -e '.[dev]')"
    return found


def _gitlab_schema_errors(text: str, tmp_path: Path) -> list[str]:
    """check-jsonschema's verdict on every YAML document of ``text``; empty when all pass."""
    problems = []
    for index, document in enumerate(text.split("\n---\n")):
        part = tmp_path / f"doc{index}.yml"
        part.write_text(document, encoding="utf-8")
        proc = subprocess.run(
            [_check_jsonschema(), "--builtin-schema", "vendor.gitlab-ci", str(part)],
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        if proc.returncode != 0:
            problems.append(proc.stdout + proc.stderr)
    return problems


def test_the_examples_exist() -> None:
    assert {p.name for p in GITLAB_FILES} == {
        "gitops-promotion.yml",
        "gitops-project.gitlab-ci.yml",
        "app-project.gitlab-ci.yml",
    }
    assert {p.name for p in GITEA_WORKFLOWS} == {
        f"gitops-promotion-{c}.yml" for c in ("new", "promote", "status", "reconcile")
    }


@pytest.mark.parametrize("path", GITLAB_FILES, ids=lambda p: p.name)
def test_gitlab_ci_schema(path: Path, tmp_path: Path) -> None:
    assert _gitlab_schema_errors(path.read_text(encoding="utf-8"), tmp_path) == []


def test_gitlab_schema_rejects_a_broken_template(tmp_path: Path) -> None:
    text = (EXAMPLES / "gitlab" / "gitops-promotion.yml").read_text(encoding="utf-8")
    assert _gitlab_schema_errors(text.replace("rules:", "rulez:"), tmp_path)
    assert _gitlab_schema_errors(text.replace("  inputs:", "  inputz:"), tmp_path)


def test_gitlab_template_has_the_four_jobs_and_gitlab_conventions() -> None:
    text = (EXAMPLES / "gitlab" / "gitops-promotion.yml").read_text(encoding="utf-8")
    for command in ("new", "promote", "status", "reconcile"):
        assert f"gitops-promotion-{command}:" in text and f"- gitops-promotion {command}" in text
    assert "dotenv: .gitops-promotion/outputs.env" in text  # outputs for later jobs
    assert "CI_JOB_TOKEN cannot push" in text


def test_actionlint_passes_the_gitea_workflows() -> None:
    proc = subprocess.run(
        [*ensure_actionlint(), *map(str, GITEA_WORKFLOWS)], capture_output=True, text=True, check=False, timeout=120
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout) == []
