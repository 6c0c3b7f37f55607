"""The Runtime protocol the CLI talks to; one implementation per CI system."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Protocol

from gitops_promotion.errors import PromotionError
from gitops_promotion.result import Result

# echo(text, err=False): print a line to stdout (or stderr with err=True)
Echo = Callable[..., None]


class Runtime(Protocol):
    name: str

    def mask(self, secret: str) -> None:
        """Ask the CI system to hide ``secret`` in its logs."""
        ...

    def publish(self, result: Result, *, command: str) -> None:
        """Write outputs, job summary and completion state for a finished command."""
        ...

    def error(self, error: PromotionError) -> None:
        """Show a failure (annotation with file/line where known)."""
        ...

    def warning(self, message: str) -> None: ...

    def group(self, title: str) -> AbstractContextManager[None]:
        """A collapsible log section around verbose output."""
        ...

    def pr_source_branch(self) -> str | None:
        """The head branch of the pull request this run belongs to, from CI variables or the event payload."""
        ...
