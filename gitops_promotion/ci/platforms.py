"""Which CI system a run is in, decided once from its environment (the runtime and the forge both ask)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

Predicate = Callable[[Mapping[str, str]], bool]


def in_github_actions(environ: Mapping[str, str]) -> bool:
    """GitHub Actions sets ``GITHUB_ACTIONS=true`` on every step (Gitea Actions sets it too, for compatibility)."""
    return environ.get("GITHUB_ACTIONS") == "true"


def in_azure_pipelines(environ: Mapping[str, str]) -> bool:
    """Azure Pipelines sets ``TF_BUILD=True``; the case differs between agents, so it is compared folded."""
    return environ.get("TF_BUILD", "").lower() == "true"


def in_gitlab_ci(environ: Mapping[str, str]) -> bool:
    """GitLab CI sets ``GITLAB_CI=true`` in every job."""
    return environ.get("GITLAB_CI") == "true"


def in_gitea_actions(environ: Mapping[str, str]) -> bool:
    """Gitea Actions sets ``GITEA_ACTIONS=true``, Forgejo Actions ``FORGEJO_ACTIONS=true``."""
    return environ.get("GITEA_ACTIONS") == "true" or environ.get("FORGEJO_ACTIONS") == "true"


# The forge each CI system belongs to, checked in this order: Gitea Actions before GitHub Actions, whose
# variables it also sets.
FORGE_OF_CI: tuple[tuple[Predicate, str], ...] = (
    (in_gitlab_ci, "gitlab"),
    (in_gitea_actions, "gitea"),
    (in_github_actions, "github"),
    (in_azure_pipelines, "azdo"),
)
