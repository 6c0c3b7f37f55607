"""Log records reach the CI system: warnings as annotations/issues, --verbose details inside one log group."""

from __future__ import annotations

import logging
from io import StringIO

import pytest

from gitops_promotion.ci import detect
from gitops_promotion.ci.logs import forward_logs
from gitops_promotion.result import Result

log = logging.getLogger("gitops_promotion.commands.opening")
SECRET = "ghs_secretsecretsecret"


def _run(environ: dict[str, str], *, verbose: bool) -> list[str]:
    out = StringIO()
    echo = lambda text="", err=False: out.write(f"{'E ' if err else ''}{text}\n")  # noqa: E731
    runtime = detect(environ, echo)
    with forward_logs(runtime, echo=echo, secrets=[SECRET], verbose=verbose, title="gitops-promotion new"):
        log.debug("fetching promote/apps-web")
        log.warning("push of %s rejected (attempt 1/3): token %s", "promote/apps-web", SECRET)
    runtime.publish(Result(outcome="opened", message="opened pull request 4"), command="new")
    return out.getvalue().splitlines()


def test_github_warning_annotation_and_verbose_group() -> None:
    lines = _run({"GITHUB_ACTIONS": "true"}, verbose=True)
    assert lines == [
        "::group::gitops-promotion new",
        "E debug: fetching promote/apps-web",
        "::warning::push of promote/apps-web rejected (attempt 1/3): token ***",
        "::endgroup::",
    ]


def test_azure_warning_issue_makes_the_task_succeed_with_issues() -> None:
    lines = _run({"TF_BUILD": "True"}, verbose=False)
    assert lines[0] == "##vso[task.logissue type=warning;]push of promote/apps-web rejected (attempt 1/3): token ***"
    assert "debug" not in "\n".join(lines)  # details only with --verbose
    assert lines[-1] == "##vso[task.complete result=SucceededWithIssues;]opened pull request 4"


def test_terminal_gets_plain_warnings_and_the_logger_is_restored() -> None:
    logger = logging.getLogger("gitops_promotion")
    before = (logger.level, list(logger.handlers))
    lines = _run({}, verbose=False)
    assert lines == ["E warning: push of promote/apps-web rejected (attempt 1/3): token ***"]
    assert (logger.level, list(logger.handlers)) == before


def test_the_cli_forwards_a_commands_warnings(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from gitops_promotion.cli.options import RepoArgs, run

    monkeypatch.setenv("GITHUB_ACTIONS", "true")

    def body(_context: object) -> Result:
        log.warning("statuses from two clusters disagree")
        return Result(outcome="gate-open", message="gate open")

    args = RepoArgs(
        sourcedir=".",
        config_path=None,
        git_name=None,
        git_email=None,
        output="text",  # type: ignore[arg-type]
        verbose=False,
    )
    assert run(args, "status", body) == 0
    assert capsys.readouterr().out.splitlines() == ["::warning::statuses from two clusters disagree", "gate open"]
