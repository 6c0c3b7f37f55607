"""The run context commands receive: checkout, config, default branch, identity and a lazily built provider."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_promotion.config import Config, EnvLocation

if TYPE_CHECKING:
    from gitops_promotion.ci.identity import Identity
    from gitops_promotion.gitrepo import GitRepo
    from gitops_promotion.providers.base import Provider


@dataclass
class Context:
    repo: GitRepo
    config: Config
    config_path: Path
    default_branch: str
    identity: Identity
    provider_factory: Callable[[], Provider]
    environ: Mapping[str, str] = field(default_factory=dict)
    dry_run: bool = False
    registry_auth: str | None = field(default=None, repr=False)  # --registry-auth: user:password or a token

    @cached_property
    def provider(self) -> Provider:
        """Built on first use so commands that need no forge (set-image, show offline) never load an SDK.

        A dry run gets the recording wrapper: reads reach the forge, writes are listed in its ``calls``.
        """
        provider = self.provider_factory()
        if self.dry_run:
            from gitops_promotion.providers.dry_run import DryRunProvider

            return DryRunProvider(provider)
        return provider

    def planned_calls(self) -> list[str]:
        """The forge writes a dry run skipped (empty outside a dry run or before the provider was built)."""
        if not self.dry_run or "provider" not in self.__dict__:
            return []
        return list(getattr(self.provider, "calls", []))

    def location(self, env: str, group: str) -> EnvLocation:
        return self.config.location(env, group, self.default_branch)
