"""GitLab CI: collapsible log sections, outputs as a dotenv report, the summary as a job artifact.

GitLab has no step outputs or annotations. Outputs go to a dotenv file (``GITOPS_PROMOTION_DOTENV``, default
``$CI_PROJECT_DIR/gitops-promotion.env``) that the job declares under ``artifacts:reports:dotenv`` so later jobs
read ``GITOPS_PROMOTION_RESULT`` etc.; the markdown summary goes beside it as ``gitops-promotion-summary.md``.
Secrets cannot be masked at run time (GitLab masks CI/CD variables marked "masked"); we never print them anyway.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

from gitops_promotion.ci.base import Echo
from gitops_promotion.ci.summary import output_result, relative_path, render_error, render_result
from gitops_promotion.errors import PromotionError
from gitops_promotion.result import Result

DOTENV_ENV = "GITOPS_PROMOTION_DOTENV"
_ESC = "\x1b[0K"
_RED, _YELLOW, _RESET = "\x1b[31;1m", "\x1b[33;1m", "\x1b[0m"


def dotenv_line(name: str, value: str) -> str:
    """One dotenv line GitLab accepts: single line, no surrounding quotes needed for our values."""
    return f"{name}={' '.join(value.split())}"


class GitLabCIRuntime:
    name = "gitlab-ci"

    def __init__(self, environ: Mapping[str, str], echo: Echo) -> None:
        self.environ = environ
        self.echo = echo
        self._sections = 0

    def mask(self, secret: str) -> None:
        """Nothing to do: GitLab masks variables marked "masked"; output is redacted before printing."""

    def _dotenv_path(self) -> Path | None:
        explicit = self.environ.get(DOTENV_ENV)
        if explicit:
            return Path(explicit)
        project_dir = self.environ.get("CI_PROJECT_DIR")
        return Path(project_dir) / "gitops-promotion.env" if project_dir else None

    def publish(self, result: Result, *, command: str) -> None:
        values = {
            "GITOPS_PROMOTION_RESULT": output_result(result),
            "GITOPS_PROMOTION_PR_NUMBER": "" if result.pr_number is None else str(result.pr_number),
            "GITOPS_PROMOTION_PR_URL": result.pr_url or "",
            "GITOPS_PROMOTION_BRANCH": result.branch or "",
            "GITOPS_PROMOTION_ENVIRONMENT": result.environment or "",
        }
        self._write(
            "".join(dotenv_line(k, v) + "\n" for k, v in values.items()), render_result(result, command=command)
        )
        if result.exit_code != 0:
            self.echo(f"{_RED}{result.message}{_RESET}", err=True)

    def _write(self, dotenv: str, summary: str) -> None:
        path = self._dotenv_path()
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dotenv, encoding="utf-8")
        (path.parent / "gitops-promotion-summary.md").write_text(summary, encoding="utf-8")

    def error(self, error: PromotionError) -> None:
        file = relative_path(error.file, self.environ.get("CI_PROJECT_DIR")) if error.file else None
        location = f"{file}:{error.line}" if file and error.line else file
        self.echo(f"{_RED}error: {f'{location}: ' if location else ''}{error.message}{_RESET}", err=True)
        self._write(dotenv_line("GITOPS_PROMOTION_RESULT", "error") + "\n", render_error(error, location=location))

    def warning(self, message: str) -> None:
        self.echo(f"{_YELLOW}warning: {message}{_RESET}", err=True)

    def group(self, title: str) -> AbstractContextManager[None]:
        """GitLab's collapsible section markers (section names allow [a-z0-9_.-])."""

        @contextmanager
        def _section() -> Iterator[None]:
            self._sections += 1
            name = f"gitops_promotion_{self._sections}_{re.sub(r'[^a-z0-9_]+', '_', title.lower())[:40]}"
            heading = title.splitlines()[0] if title else ""
            self.echo(f"{_ESC}section_start:{int(time.time())}:{name}[collapsed=true]\r{_ESC}{heading}")
            try:
                yield
            finally:
                self.echo(f"{_ESC}section_end:{int(time.time())}:{name}\r{_ESC}")

        return _section()

    def pr_source_branch(self) -> str | None:
        return self.environ.get("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME") or None
