"""CI runtimes: how results, errors and secrets are shown under GitHub Actions, Azure Pipelines or a terminal."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from gitops_promotion.ci.base import Echo, Runtime
from gitops_promotion.ci.platforms import in_azure_pipelines, in_github_actions, in_gitlab_ci
from gitops_promotion.ci.terminal import TerminalRuntime

__all__ = ["Echo", "Runtime", "detect"]

# Checked in order; the first whose predicate holds is used. Modules are imported only when picked.
_RUNTIMES: list[tuple[Callable[[Mapping[str, str]], bool], str]] = [
    (in_gitlab_ci, "gitops_promotion.ci.gitlab_ci:GitLabCIRuntime"),
    (
        in_github_actions,
        "gitops_promotion.ci.github_actions:GitHubActionsRuntime",
    ),
    (
        in_azure_pipelines,
        "gitops_promotion.ci.azure_pipelines:AzurePipelinesRuntime",
    ),
]


def detect(environ: Mapping[str, str], echo: Echo) -> Runtime:
    """The runtime for the CI system ``environ`` belongs to (terminal when none)."""
    import importlib

    for predicate, target in _RUNTIMES:
        if predicate(environ):
            module_name, cls_name = target.split(":")
            try:
                module = importlib.import_module(module_name)
            except ModuleNotFoundError:
                break
            runtime: Runtime = getattr(module, cls_name)(environ, echo)
            return runtime
    return TerminalRuntime(environ, echo)
