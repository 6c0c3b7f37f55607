"""Which CI system a run is in, decided once from its environment (the runtime and the forge both ask)."""

from __future__ import annotations

from collections.abc import Mapping


def in_github_actions(environ: Mapping[str, str]) -> bool:
    """GitHub Actions sets ``GITHUB_ACTIONS=true`` on every step."""
    return environ.get("GITHUB_ACTIONS") == "true"


def in_azure_pipelines(environ: Mapping[str, str]) -> bool:
    """Azure Pipelines sets ``TF_BUILD=True``; the case differs between agents, so it is compared folded."""
    return environ.get("TF_BUILD", "").lower() == "true"
