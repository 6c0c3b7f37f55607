"""GitLab CI: outputs in a dotenv report, the summary as an artifact, errors with file:line, sections."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

from gitops_promotion.ci import detect
from gitops_promotion.ci.gitlab_ci import GitLabCIRuntime
from tests.ci.conftest import BROKEN_CONFIG, BROKEN_LINE, RunStep


def _gitlab(work: Path) -> dict[str, str]:
    return {"GITLAB_CI": "true", "CI_PROJECT_DIR": str(work)}


def test_new_writes_outputs_as_a_dotenv_report(run_step: RunStep, example_repo: tuple[Path, Path]) -> None:
    _, work = example_repo
    step = run_step(
        work, _gitlab(work), "new", "--provider", "local", "--group", "apps", "--app", "podinfo", "--tag", "6.5.1"
    )
    assert step.code == 0, step.out + step.err
    dotenv = (work / "gitops-promotion.env").read_text(encoding="utf-8").splitlines()
    values = dict(line.split("=", 1) for line in dotenv)
    assert values["GITOPS_PROMOTION_BRANCH"] == "promote/apps-podinfo"
    assert values["GITOPS_PROMOTION_ENVIRONMENT"] == "dev"
    assert values["GITOPS_PROMOTION_RESULT"]
    assert all(re.fullmatch(r"GITOPS_PROMOTION_[A-Z_]+=[^\n]*", line) for line in dotenv)
    assert "gitops-promotion new" in (work / "gitops-promotion-summary.md").read_text(encoding="utf-8")


def test_config_error_names_file_and_line(run_step: RunStep, example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    _, work = example_repo
    (work / "gitops-promotion.yaml").write_text(BROKEN_CONFIG)
    dotenv = tmp_path / "out" / "outputs.env"
    env = {**_gitlab(work), "GITOPS_PROMOTION_DOTENV": str(dotenv)}
    step = run_step(work, env, "new", "--provider", "local", "--group", "apps", "--app", "podinfo", "--tag", "6.5.1")
    assert step.code == 2
    assert f"gitops-promotion.yaml:{BROKEN_LINE}" in step.err
    assert dotenv.read_text(encoding="utf-8") == "GITOPS_PROMOTION_RESULT=error\n"


def test_detected_from_gitlab_ci_and_sections_are_collapsible() -> None:
    out = StringIO()
    runtime = detect({"GITLAB_CI": "true"}, lambda text, err=False: out.write(text + "\n"))
    assert isinstance(runtime, GitLabCIRuntime)
    with runtime.group("gitops-promotion new"):
        out.write("detail\n")
    lines = out.getvalue().split("\n")
    assert re.fullmatch(
        r"\x1b\[0Ksection_start:\d+:gitops_promotion_1_gitops_promotion_new\[collapsed=true\]"
        r"\r\x1b\[0Kgitops-promotion new",
        lines[0],
    )
    assert lines[1] == "detail"
    assert re.fullmatch(r"\x1b\[0Ksection_end:\d+:gitops_promotion_1_gitops_promotion_new\r\x1b\[0K", lines[2])
    assert runtime.pr_source_branch() is None
    assert (
        GitLabCIRuntime({"CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": "promote/a"}, print).pr_source_branch() == "promote/a"
    )
