"""GitHub Actions: outputs in $GITHUB_OUTPUT, job summary, ::error annotations with file and line, masks."""

from __future__ import annotations

import json
import re
from io import StringIO
from pathlib import Path

import pytest

from gitops_promotion.ci import detect
from gitops_promotion.ci.github_actions import GitHubActionsRuntime, escape_data, escape_property
from gitops_promotion.errors import ConfigError
from gitops_promotion.result import Result
from tests.ci.conftest import BROKEN_CONFIG, BROKEN_LINE, RunStep

TOKEN = "ghs_notarealtoken0123456789"


def parse_github_output(text: str) -> dict[str, str]:
    """Read $GITHUB_OUTPUT the way the runner does: `name=value` lines and `name<<DELIM` blocks."""
    values: dict[str, str] = {}
    lines = iter(text.split("\n"))
    for line in lines:
        if not line:
            continue
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            else:
                raise AssertionError(f"unterminated output {name}")
            values[name] = "\n".join(body)
        else:
            name, value = line.split("=", 1)
            values[name] = value
    return values


@pytest.fixture
def gha(tmp_path: Path) -> dict[str, str]:
    output, summary = tmp_path / "github_output", tmp_path / "step_summary"
    output.touch()
    summary.touch()
    return {"GITHUB_ACTIONS": "true", "GITHUB_OUTPUT": str(output), "GITHUB_STEP_SUMMARY": str(summary)}


def test_new_writes_outputs_summary_and_masks_the_token(
    run_step: RunStep, example_repo: tuple[Path, Path], gha: dict[str, str]
) -> None:
    _, work = example_repo
    env = {**gha, "GITOPS_PROMOTION_TOKEN": TOKEN, "GITHUB_WORKSPACE": str(work)}
    step = run_step(work, env, "new", "--provider", "local", "--group", "apps", "--app", "podinfo", "--tag", "6.5.1")
    assert step.code == 0, step.out + step.err
    lines = step.out.splitlines()
    assert lines[0] == f"::add-mask::{TOKEN}"  # before anything else is printed
    assert lines.count(f"::add-mask::{TOKEN}") == 1
    assert "created branch promote/apps-podinfo with pull request 1" in lines
    outputs = parse_github_output(Path(gha["GITHUB_OUTPUT"]).read_text())
    assert outputs == {
        "result": "opened",
        "pr-number": "1",
        "pr-url": outputs["pr-url"],
        "branch": "promote/apps-podinfo",
        "environment": "dev",
    }
    assert outputs["pr-url"]
    summary = Path(gha["GITHUB_STEP_SUMMARY"]).read_text()
    assert summary.startswith("### ✅ gitops-promotion new: opened\n")
    assert "6.5.1" in summary and "dev" in summary and "[#1]" in summary
    assert TOKEN not in summary


def test_config_error_is_an_annotation_on_the_file_and_line(
    run_step: RunStep, example_repo: tuple[Path, Path], gha: dict[str, str]
) -> None:
    _, work = example_repo
    (work / "gitops-promotion.yaml").write_text(BROKEN_CONFIG)
    step = run_step(
        work,
        {**gha, "GITHUB_WORKSPACE": str(work)},
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
    match = re.search(r"^::error file=([^,]*),line=(\d+),title=gitops-promotion::(.*)$", step.out, re.M)
    assert match, step.out
    assert match.group(1) == "gitops-promotion.yaml"  # relative to the workspace, so GitHub links it
    assert int(match.group(2)) == BROKEN_LINE
    assert "unknown key" in match.group(3)
    assert Path(gha["GITHUB_OUTPUT"]).read_text() == ""  # no outputs for a failed run
    summary = Path(gha["GITHUB_STEP_SUMMARY"]).read_text()
    assert "failed" in summary and f"gitops-promotion.yaml:{BROKEN_LINE}" in summary


def test_json_output_still_annotates(run_step: RunStep, tmp_path: Path, gha: dict[str, str]) -> None:
    manifest = tmp_path / "deploy.yaml"
    manifest.write_text('image: registry.test/app:1.0 # {"$imagepolicy": "apps:app"}\n')
    step = run_step(
        tmp_path, gha, "set-image", "--group", "apps", "--app", "app", "--tag", "2.0", "--output", "json", str(manifest)
    )
    assert step.code == 0, step.out + step.err
    assert json.loads(step.out.splitlines()[-1])["result"] == "changed"
    assert parse_github_output(Path(gha["GITHUB_OUTPUT"]).read_text())["result"] == "changed"
    assert manifest.read_text() == 'image: registry.test/app:2.0 # {"$imagepolicy": "apps:app"}\n'


def _runtime(environ: dict[str, str]) -> tuple[GitHubActionsRuntime, StringIO]:
    out = StringIO()
    runtime = detect(environ, lambda text="", err=False: out.write(f"{text}\n"))
    assert isinstance(runtime, GitHubActionsRuntime)
    return runtime, out


def test_escaping_follows_the_workflow_command_rules() -> None:
    assert escape_data("50% done\r\nnext") == "50%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_a_multiline_message_stays_one_annotation(gha: dict[str, str]) -> None:
    runtime, out = _runtime(gha)
    runtime.error(ConfigError("first line\nsecond: 100%", file="dir,x/cfg:1.yaml", line=3))
    assert out.getvalue().splitlines()[0] == (
        "::error file=dir%2Cx/cfg%3A1.yaml,line=3,title=gitops-promotion::first line%0Asecond: 100%25"
    )


def test_a_pem_key_is_masked_line_by_line(gha: dict[str, str]) -> None:
    runtime, out = _runtime(gha)
    runtime.mask("-----BEGIN KEY-----\nabc\n\ndef\n-----END KEY-----\n")
    assert out.getvalue().splitlines() == [
        "::add-mask::-----BEGIN KEY-----",
        "::add-mask::abc",
        "::add-mask::def",
        "::add-mask::-----END KEY-----",
    ]


def test_group_closes_even_on_error(gha: dict[str, str]) -> None:
    runtime, out = _runtime(gha)
    with pytest.raises(RuntimeError), runtime.group("details"):
        out.write("inside\n")
        raise RuntimeError
    assert out.getvalue().splitlines() == ["::group::details", "inside", "::endgroup::"]


def test_a_returned_failure_is_annotated_and_summarised(gha: dict[str, str]) -> None:
    runtime, out = _runtime(gha)
    closed = Result(
        outcome="gate-closed",
        message="qa has not reconciled",
        exit_code=1,
        pr_number=7,
        pr_url="https://example.test/pr/7",
        environment="prod",
    )
    runtime.publish(closed, command="status")
    assert "::error title=gitops-promotion status::qa has not reconciled" in out.getvalue()
    outputs = parse_github_output(Path(gha["GITHUB_OUTPUT"]).read_text())
    assert outputs["result"] == "gate-closed" and outputs["pr-number"] == "7"
    summary = Path(gha["GITHUB_STEP_SUMMARY"]).read_text()
    assert "### ❌ gitops-promotion status: gate-closed" in summary
    assert "| Pull request | [#7](https://example.test/pr/7) |" in summary


def test_an_output_value_with_newlines_survives(gha: dict[str, str]) -> None:
    runtime, _ = _runtime(gha)
    runtime.publish(Result(outcome="opened", message="m", branch="a\nb=c\nEOF"), command="new")
    assert parse_github_output(Path(gha["GITHUB_OUTPUT"]).read_text())["branch"] == "a\nb=c\nEOF"


def test_pr_source_branch_from_head_ref_then_event_payload(tmp_path: Path) -> None:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"pull_request": {"number": 3, "head": {"ref": "promote/apps-podinfo"}}}))
    runtime, _ = _runtime({"GITHUB_ACTIONS": "true", "GITHUB_HEAD_REF": "promote/qa/apps-x"})
    assert runtime.pr_source_branch() == "promote/qa/apps-x"
    runtime, _ = _runtime({"GITHUB_ACTIONS": "true", "GITHUB_EVENT_PATH": str(event)})
    assert runtime.pr_source_branch() == "promote/apps-podinfo"
    event.write_text(json.dumps({"ref": "refs/heads/main"}))  # a push event has no pull request
    assert runtime.pr_source_branch() is None
    event.write_text("not json")
    assert runtime.pr_source_branch() is None


def test_without_step_files_nothing_is_written(tmp_path: Path) -> None:
    """`docker run -e GITHUB_ACTIONS=true` outside a step: no $GITHUB_OUTPUT, and no crash either."""
    runtime, out = _runtime({"GITHUB_ACTIONS": "true"})
    runtime.publish(Result(outcome="nothing-to-do", message="nothing to promote"), command="promote")
    assert out.getvalue() == ""
    assert list(tmp_path.iterdir()) == []


def test_result_output_uses_the_documented_values(gha: dict[str, str]) -> None:
    runtime, _ = _runtime(gha)
    runtime.publish(Result(outcome="skipped", message="not a promotion merge"), command="promote")
    assert parse_github_output(Path(gha["GITHUB_OUTPUT"]).read_text())["result"] == "nothing-to-do"
