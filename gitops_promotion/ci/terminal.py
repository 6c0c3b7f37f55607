"""Plain terminal: no annotations, no outputs; errors go to stderr."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager

from gitops_promotion.ci.base import Echo
from gitops_promotion.errors import PromotionError
from gitops_promotion.result import Result


class TerminalRuntime:
    name = "terminal"

    def __init__(self, environ: Mapping[str, str], echo: Echo) -> None:
        self.environ = environ
        self.echo = echo

    def mask(self, secret: str) -> None:
        """Nothing to do: the terminal has no log masking; we never print secrets anyway."""

    def publish(self, result: Result, *, command: str) -> None:
        """Nothing beyond the printed lines."""

    def error(self, error: PromotionError) -> None:
        self.echo(f"error: {error.message}", err=True)

    def warning(self, message: str) -> None:
        self.echo(f"warning: {message}", err=True)

    def group(self, title: str) -> AbstractContextManager[None]:
        @contextmanager
        def _section() -> Iterator[None]:
            yield

        return _section()

    def pr_source_branch(self) -> str | None:
        return None
