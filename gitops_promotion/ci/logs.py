"""Route the package's log records to the CI runtime while a command runs.

Warnings (a rejected push being retried, a token that cannot trigger workflows) become `::warning::`
annotations on GitHub and warning issues on Azure Pipelines (so the task ends SucceededWithIssues); with
--verbose, the details go into one collapsible log group instead of flooding the step's log.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager

from gitops_promotion.ci.base import Echo, Runtime

LOGGER = "gitops_promotion"


class _RuntimeHandler(logging.Handler):
    def __init__(self, runtime: Runtime, echo: Echo, redact: Callable[[str], str]) -> None:
        super().__init__(logging.DEBUG)
        self.runtime = runtime
        self.echo = echo
        self.redact = redact

    def emit(self, record: logging.LogRecord) -> None:
        try:
            message = self.redact(record.getMessage())
        except Exception:  # a bad log call must not fail the promotion
            self.handleError(record)
            return
        if record.levelno >= logging.WARNING:
            self.runtime.warning(message)
        else:
            self.echo(f"{record.levelname.lower()}: {message}", err=True)


@contextmanager
def forward_logs(
    runtime: Runtime, *, echo: Echo, secrets: Sequence[str] = (), verbose: bool = False, title: str = "details"
) -> Iterator[None]:
    """Send ``gitops_promotion`` log records to ``runtime`` (details only with ``verbose``), secrets redacted."""
    from gitops_promotion.secrets import redact

    logger = logging.getLogger(LOGGER)
    handler = _RuntimeHandler(runtime, echo, lambda text: redact(text, secrets))
    old_level = logger.level
    logger.addHandler(handler)  # with a handler in place, logging's stderr fallback stays quiet
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING)
    try:
        with ExitStack() as stack:
            if verbose:
                stack.enter_context(runtime.group(title))
            yield
    finally:
        logger.removeHandler(handler)
        logger.setLevel(old_level)
