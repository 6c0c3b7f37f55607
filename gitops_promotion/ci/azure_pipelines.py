"""Azure Pipelines: `##vso[...]` logging commands for issues, output variables, secrets, result, summary.

Escaping follows the agent's rules for logging commands: in data, '%' becomes '%AZP25' and CR/LF become
%0D/%0A; property values additionally escape ';' (%3B) and ']' (%5D).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from gitops_promotion.ci.base import Echo
from gitops_promotion.ci.summary import output_result, relative_path, render_error, render_result
from gitops_promotion.errors import PromotionError
from gitops_promotion.result import Result

# Azure variable names allow letters, digits, '.' and '_' (no '-'), so GitHub's output names become camelCase.
OUTPUT_NAMES = {
    "result": "result",
    "pr-number": "prNumber",
    "pr-url": "prUrl",
    "branch": "branch",
    "environment": "environment",
}


def escape_data(text: str) -> str:
    return text.replace("%", "%AZP25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(";", "%3B").replace("]", "%5D")


class AzurePipelinesRuntime:
    name = "azure-pipelines"

    def __init__(self, environ: Mapping[str, str], echo: Echo) -> None:
        self.environ = environ
        self.echo = echo
        self._masked: set[str] = set()
        self._warned = False

    def _command(self, area_action: str, data: str = "", **props: str | int | None) -> None:
        rendered = "".join(f"{k}={escape_property(str(v))};" for k, v in props.items() if v is not None)
        self.echo(f"##vso[{area_action}{' ' + rendered if rendered else ''}]{escape_data(data)}")

    def mask(self, secret: str) -> None:
        for line in secret.splitlines():
            if line.strip() and line not in self._masked:
                self._masked.add(line)
                self._command("task.setsecret", line)

    def publish(self, result: Result, *, command: str) -> None:
        values = {
            "result": output_result(result),
            "pr-number": "" if result.pr_number is None else str(result.pr_number),
            "pr-url": result.pr_url or "",
            "branch": result.branch or "",
            "environment": result.environment or "",
        }
        for name, value in values.items():
            self._command("task.setvariable", value, variable=OUTPUT_NAMES[name], isOutput="true")
        self._upload_summary(render_result(result, command=command), command)
        if result.exit_code != 0:
            self._command("task.logissue", result.message, type="error")
            self._command("task.complete", result.message, result="Failed")
        else:
            outcome = "SucceededWithIssues" if self._warned else "Succeeded"
            self._command("task.complete", result.message, result=outcome)

    def error(self, error: PromotionError) -> None:
        file = relative_path(error.file, self.environ.get("BUILD_SOURCESDIRECTORY")) if error.file else None
        self._command("task.logissue", error.message, type="error", sourcepath=file, linenumber=error.line)
        location = f"{file}:{error.line}" if file and error.line else file
        self._upload_summary(render_error(error, location=location), "error")
        self._command("task.complete", error.message, result="Failed")

    def warning(self, message: str) -> None:
        self._warned = True
        self._command("task.logissue", message, type="warning")

    def group(self, title: str) -> AbstractContextManager[None]:
        @contextmanager
        def _section() -> Iterator[None]:
            self.echo(f"##[group]{title.splitlines()[0] if title else ''}")
            try:
                yield
            finally:
                self.echo("##[endgroup]")

        return _section()

    def pr_source_branch(self) -> str | None:
        branch = self.environ.get("SYSTEM_PULLREQUEST_SOURCEBRANCH")
        return branch.removeprefix("refs/heads/") if branch else None

    def _upload_summary(self, markdown: str, command: str) -> None:
        """Write the markdown to the agent's temp dir and attach it to the run's Extensions tab."""
        directory = self.environ.get("AGENT_TEMPDIRECTORY")
        if not directory or not Path(directory).is_dir():
            return
        fd, name = tempfile.mkstemp(prefix=f"gitops-promotion-{command}-", suffix=".md", dir=directory)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(markdown)
        self._command("task.uploadsummary", name)
