"""Azure Pipelines: ##vso logging commands for output variables, issues with file and line, secrets."""

from __future__ import annotations

import re
from io import StringIO
from pathlib import Path

import pytest

from gitops_promotion.ci import detect
from gitops_promotion.ci.azure_pipelines import AzurePipelinesRuntime, escape_data, escape_property
from gitops_promotion.errors import ManifestError
from gitops_promotion.result import Result
from tests.ci.conftest import BROKEN_CONFIG, BROKEN_LINE, RunStep

TOKEN = "azdo-notarealtoken-0123456789"


@pytest.fixture
def azp(tmp_path: Path) -> dict[str, str]:
    temp = tmp_path / "agent-temp"
    temp.mkdir()
    return {"TF_BUILD": "True", "AGENT_TEMPDIRECTORY": str(temp)}


def _variables(out: str) -> dict[str, str]:
    found = re.findall(r"^##vso\[task\.setvariable variable=(\w+);isOutput=true;\](.*)$", out, re.M)
    return dict(found)


def test_new_sets_output_variables_and_completes(
    run_step: RunStep, example_repo: tuple[Path, Path], azp: dict[str, str]
) -> None:
    _, work = example_repo
    env = {**azp, "SYSTEM_ACCESSTOKEN": TOKEN, "BUILD_SOURCESDIRECTORY": str(work)}
    step = run_step(work, env, "new", "--provider", "local", "--group", "apps", "--app", "podinfo", "--tag", "6.5.1")
    assert step.code == 0, step.out + step.err
    lines = step.out.splitlines()
    assert lines[0] == f"##vso[task.setsecret]{TOKEN}"
    variables = _variables(step.out)
    assert variables == {
        "result": "opened",
        "prNumber": "1",
        "prUrl": variables["prUrl"],
        "branch": "promote/apps-podinfo",
        "environment": "dev",
    }
    assert lines[-1].startswith("##vso[task.complete result=Succeeded;]")
    summaries = re.findall(r"^##vso\[task\.uploadsummary\](.*)$", step.out, re.M)
    assert len(summaries) == 1
    summary = Path(summaries[0]).read_text()
    assert Path(summaries[0]).parent == Path(azp["AGENT_TEMPDIRECTORY"])
    assert "gitops-promotion new: opened" in summary and "6.5.1" in summary


def test_config_error_is_an_issue_on_the_file_and_line(
    run_step: RunStep, example_repo: tuple[Path, Path], azp: dict[str, str]
) -> None:
    _, work = example_repo
    (work / "gitops-promotion.yaml").write_text(BROKEN_CONFIG)
    step = run_step(
        work,
        {**azp, "BUILD_SOURCESDIRECTORY": str(work)},
        "new",
        "--provider",
        "local",
        "--group",
        "apps",
        "--app",
        "podinfo",
        "--tag",
        "6.5.1",
    )
    assert step.code == 2
    match = re.search(r"^##vso\[task\.logissue type=error;sourcepath=([^;]*);linenumber=(\d+);\](.*)$", step.out, re.M)
    assert match, step.out
    assert match.group(1) == "gitops-promotion.yaml"
    assert int(match.group(2)) == BROKEN_LINE
    assert "unknown key" in match.group(3)
    assert re.search(r"^##vso\[task\.complete result=Failed;\]", step.out, re.M)
    assert "setvariable" not in step.out


def _runtime(environ: dict[str, str]) -> tuple[AzurePipelinesRuntime, StringIO]:
    out = StringIO()
    runtime = detect(environ, lambda text="", err=False: out.write(f"{text}\n"))
    assert isinstance(runtime, AzurePipelinesRuntime)
    return runtime, out


def test_escaping_follows_the_logging_command_rules() -> None:
    assert escape_data("100%\r\nok") == "100%AZP25%0D%0Aok"
    assert escape_property("a;b]c") == "a%3Bb%5Dc"


def test_error_on_a_manifest_line(azp: dict[str, str]) -> None:
    runtime, out = _runtime(azp)
    runtime.error(ManifestError("apps/dev/x.yaml:4: marker on a map; use a scalar", file="apps/dev/x.yaml", line=4))
    assert out.getvalue().splitlines()[0] == (
        "##vso[task.logissue type=error;sourcepath=apps/dev/x.yaml;linenumber=4;]"
        "apps/dev/x.yaml:4: marker on a map; use a scalar"
    )  # ';' needs no escape in data


def test_warnings_complete_with_issues(azp: dict[str, str]) -> None:
    runtime, out = _runtime(azp)
    runtime.warning("statuses from two clusters disagree")
    runtime.publish(Result(outcome="gate-open", message="qa reconciled"), command="status")
    lines = out.getvalue().splitlines()
    assert lines[0] == "##vso[task.logissue type=warning;]statuses from two clusters disagree"
    assert lines[-1] == "##vso[task.complete result=SucceededWithIssues;]qa reconciled"


def test_a_closed_gate_fails_the_task(azp: dict[str, str]) -> None:
    runtime, out = _runtime(azp)
    runtime.publish(Result(outcome="gate-closed", message="dev failed", exit_code=1), command="status")
    lines = out.getvalue().splitlines()
    assert "##vso[task.logissue type=error;]dev failed" in lines
    assert lines[-1] == "##vso[task.complete result=Failed;]dev failed"
    assert _variables(out.getvalue())["result"] == "gate-closed"


def test_group_and_mask(azp: dict[str, str]) -> None:
    runtime, out = _runtime(azp)
    runtime.mask("line1\nline2\nline1")
    with runtime.group("git fetch"):
        out.write("...\n")
    assert out.getvalue().splitlines() == [
        "##vso[task.setsecret]line1",
        "##vso[task.setsecret]line2",
        "##[group]git fetch",
        "...",
        "##[endgroup]",
    ]


def test_pr_source_branch_strips_refs_heads() -> None:
    branch = "refs/heads/promote/apps-a"
    runtime, _ = _runtime({"TF_BUILD": "True", "SYSTEM_PULLREQUEST_SOURCEBRANCH": branch})
    assert runtime.pr_source_branch() == "promote/apps-a"
    runtime, _ = _runtime({"TF_BUILD": "True"})
    assert runtime.pr_source_branch() is None
