"""GitHub Actions: step outputs, job summary, annotations, masking and log groups via workflow commands.

Formats follow GitHub's "Workflow commands for GitHub Actions" page: outputs and the summary are files
named by $GITHUB_OUTPUT and $GITHUB_STEP_SUMMARY; everything else is a `::command k=v::data` line on stdout.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from gitops_promotion.ci.base import Echo
from gitops_promotion.ci.summary import output_result, relative_path, render_error, render_result
from gitops_promotion.errors import PromotionError
from gitops_promotion.result import Result


def escape_data(text: str) -> str:
    """Escape a workflow command's message: the runner decodes %25, %0D and %0A."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow command's property value, where ':' and ',' are separators too."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


class GitHubActionsRuntime:
    name = "github-actions"

    def __init__(self, environ: Mapping[str, str], echo: Echo) -> None:
        self.environ = environ
        self.echo = echo
        self._masked: set[str] = set()

    def _command(self, name: str, data: str, **props: str | int | None) -> None:
        rendered = ",".join(f"{k}={escape_property(str(v))}" for k, v in props.items() if v is not None)
        self.echo(f"::{name}{' ' + rendered if rendered else ''}::{escape_data(data)}")

    def mask(self, secret: str) -> None:
        """Mask every line: the runner matches masks line by line, so a PEM key needs one mask per line."""
        for line in secret.splitlines():
            if line.strip() and line not in self._masked:
                self._masked.add(line)
                self.echo(f"::add-mask::{escape_data(line)}")

    def publish(self, result: Result, *, command: str) -> None:
        outputs = {
            "result": output_result(result),
            "pr-number": "" if result.pr_number is None else str(result.pr_number),
            "pr-url": result.pr_url or "",
            "branch": result.branch or "",
            "environment": result.environment or "",
        }
        self._append("GITHUB_OUTPUT", "".join(_output_entry(k, v) for k, v in outputs.items()))
        self._append("GITHUB_STEP_SUMMARY", render_result(result, command=command))
        if result.exit_code != 0:
            # A returned (not raised) failure, e.g. a closed gate: still show it on the run's summary page.
            self._command("error", result.message, title=f"gitops-promotion {command}")

    def error(self, error: PromotionError) -> None:
        file = relative_path(error.file, self.environ.get("GITHUB_WORKSPACE")) if error.file else None
        self._command("error", error.message, file=file, line=error.line, title="gitops-promotion")
        location = f"{file}:{error.line}" if file and error.line else file
        self._append("GITHUB_STEP_SUMMARY", render_error(error, location=location))

    def warning(self, message: str) -> None:
        self._command("warning", message)

    def group(self, title: str) -> AbstractContextManager[None]:
        @contextmanager
        def _section() -> Iterator[None]:
            self.echo(f"::group::{escape_data(title)}")
            try:
                yield
            finally:
                self.echo("::endgroup::")

        return _section()

    def pr_source_branch(self) -> str | None:
        head = self.environ.get("GITHUB_HEAD_REF")
        if head:
            return head
        return _head_ref_from_event(self.environ.get("GITHUB_EVENT_PATH"))

    def _append(self, variable: str, text: str) -> None:
        path = self.environ.get(variable)
        if not path:
            return  # not a step (e.g. `docker run` with GITHUB_ACTIONS only): nowhere to write
        with Path(path).open("a", encoding="utf-8") as handle:
            handle.write(text)


def _output_entry(name: str, value: str) -> str:
    """One `name<<DELIM` block: safe for any value, since the delimiter is random and checked absent."""
    delimiter = f"ghadelimiter_{uuid.uuid4()}"
    while delimiter in value:  # pragma: no cover - a random UUID inside a value is practically impossible
        delimiter = f"ghadelimiter_{uuid.uuid4()}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


def _head_ref_from_event(event_path: str | None) -> str | None:
    """``pull_request.head.ref`` from the event payload (pull_request_target and workflow reruns)."""
    if not event_path:
        return None
    try:
        payload = json.loads(Path(event_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    head = (payload.get("pull_request") or {}).get("head") or {} if isinstance(payload, dict) else {}
    ref = head.get("ref") if isinstance(head, dict) else None
    return ref if isinstance(ref, str) and ref else None
