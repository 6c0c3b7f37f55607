"""Forge adapters behind one Protocol (base.py), picked from a dict and imported only when built."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_promotion.errors import UsageError

if TYPE_CHECKING:
    from gitops_promotion.providers.base import Provider

# name -> "module:function"; the function takes ProviderSettings and returns a Provider.
ADAPTERS: dict[str, str] = {
    "github": "gitops_promotion.providers.github:build",
    "azdo": "gitops_promotion.providers.azure_devops:build",
    "local": "gitops_promotion.providers.local:build",
    "gitlab": "gitops_promotion.providers.gitlab:build",
    "gitea": "gitops_promotion.providers.gitea:build",
}


@dataclass(frozen=True)
class ProviderSettings:
    """Everything an adapter may read; built once by the CLI. ``token`` is never printed."""

    repo_root: Path
    remote_url: str
    environ: Mapping[str, str] = field(default_factory=dict)
    token: str | None = field(default=None, repr=False)
    api_url: str | None = None  # GHES API base or Azure DevOps Server collection URL
    github_app_id: str | None = None
    github_app_private_key: str | None = field(default=None, repr=False)


def build_provider(name: str, settings: ProviderSettings) -> Provider:
    try:
        target = ADAPTERS[name]
    except KeyError:
        msg = f"--provider {name!r} is not one of: {', '.join(sorted(ADAPTERS))}"
        raise UsageError(msg) from None
    module_name, func = target.split(":")
    factory = getattr(importlib.import_module(module_name), func)
    provider: Provider = factory(settings)
    return provider


# Remote URL patterns, checked after the CI environment (ci.platforms); the first match names the forge.
_REMOTE_MARKERS: tuple[tuple[str, str], ...] = (
    (r"dev\.azure\.com|visualstudio\.com|ssh\.dev\.azure\.com|/_git/", "azdo"),
    (r"gitlab", "gitlab"),
    (r"gitea|forgejo|codeberg\.org", "gitea"),
    (r"github", "github"),
)


def detect_provider(environ: Mapping[str, str], remote_url: str) -> str:
    """Pick the forge from the CI environment, then from the remote URL; ``local`` for a path remote."""
    from gitops_promotion.ci.platforms import FORGE_OF_CI

    for in_ci, name in FORGE_OF_CI:
        if in_ci(environ):
            return name
    if environ.get("SYSTEM_COLLECTIONURI"):
        return "azdo"
    for pattern, name in _REMOTE_MARKERS:
        if re.search(pattern, remote_url):
            return name
    return "github" if environ.get("GITHUB_API_URL") else "local"
