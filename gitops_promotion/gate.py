"""Reading Flux's commit statuses (DESIGN 3): the one rule for which contexts prove an environment deployed.

An environment's ``flux:`` block becomes a FluxSelection; ``read_gate`` applies it to one commit's statuses:
newest status per context, statuses of another kind or another listed Provider ignored, every listed Provider
(or, without a list, every matching context) must report success.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from gitops_promotion.flux_config import DEFAULT_NAME, FLUX_KINDS, substitute
from gitops_promotion.providers.base import CommitStatus

if TYPE_CHECKING:
    from gitops_promotion.config import Config

Verdict = Literal["success", "failure", "pending", "none"]
_FLUX_KINDS = {kind.lower() for kind in FLUX_KINDS}


@dataclass(frozen=True)
class FluxSelection:
    """Which statuses count for one environment of one group (its ``flux:`` block, placeholders filled)."""

    env: str
    kind: str = "kustomization"  # lower-case, as Flux writes it in the context
    name: str = ""  # lower-case
    providers: tuple[str, ...] = ()
    context: re.Pattern[str] | None = None

    @property
    def wanted(self) -> str:
        """What a matching context looks like, for messages."""
        if self.context is not None:
            return f"context ~ {self.context.pattern}"
        return f"{self.kind}/{self.name}"

    def provider_of(self, context: str) -> tuple[bool, str | None]:
        """(whether ``context`` is selected, the Provider UID segment it carries if any)."""
        if self.context is not None:
            found = self.context.fullmatch(context)
            if found is None:
                return False, None
            return True, found.groupdict().get("provider")
        parts = context.lower().split("/")
        if len(parts) not in (2, 3) or parts[0] != self.kind or parts[1] != self.name:
            return False, None
        return True, parts[2] if len(parts) == 3 else None


def selection_for(config: Config, group: str, env: str) -> FluxSelection:
    """The selection configured for ``env`` (default: Kustomization ``<group>-<env>``, any Provider)."""
    flux = config.env(env).flux
    if flux.context is not None:
        pattern = re.compile(substitute(flux.context, group=group, env=env, escape=True))
        return FluxSelection(env=env, providers=flux.providers, context=pattern)
    name = substitute(flux.name or DEFAULT_NAME, group=group, env=env)
    kind = (flux.kind or "Kustomization").lower()
    return FluxSelection(env=env, kind=kind, name=name.lower(), providers=flux.providers)


@dataclass(frozen=True)
class GateReading:
    verdict: Verdict
    seen: tuple[tuple[str, str], ...]  # (context, state) of the newest status per counted context
    missing: tuple[str, ...] = ()  # listed Providers that have not reported
    others: tuple[str, ...] = ()  # Flux-looking contexts on the commit that the selection does not count
    wanted: str = ""
    env: str = ""

    def describe(self) -> str:
        """What was seen, and when nothing counted, what Flux did post and what to configure."""
        waiting = f"; waiting for Provider(s) {', '.join(self.missing)}" if self.missing else ""
        if self.seen:
            return ", ".join(f"{context}={state}" for context, state in self.seen) + waiting
        if self.others:
            return (
                f"saw {', '.join(self.others)}; none matches {self.wanted} — "
                f"set environments[{self.env}].flux" + waiting
            )
        return f"no Flux status yet (waiting for {self.wanted})" + waiting


def is_flux(status: CommitStatus) -> bool:
    """GitHub statuses carry no genre; on Azure DevOps Flux uses genre `fluxcd` or `fluxcd:<summary>`."""
    return status.genre is None or status.genre == "fluxcd" or status.genre.startswith("fluxcd:")


def looks_like_flux(status: CommitStatus) -> bool:
    """A status Flux probably posted: an Azure ``fluxcd`` genre, or a ``<flux kind>/<name>[/<uid>]`` context."""
    if status.genre is not None:
        return is_flux(status)
    parts = status.context.lower().split("/")
    return len(parts) in (2, 3) and parts[0] in _FLUX_KINDS and bool(parts[1])


def read_gate(statuses: Iterable[CommitStatus], selection: FluxSelection) -> GateReading:
    """The verdict for ``selection`` from one commit's statuses."""
    newest: dict[str, tuple[CommitStatus, str | None]] = {}
    others: set[str] = set()
    for status in statuses:
        if not is_flux(status):
            continue
        selected, provider = selection.provider_of(status.context)
        if selected and selection.providers and provider not in selection.providers:
            selected = False  # another cluster's Provider: not this environment's proof
        if not selected:
            if looks_like_flux(status):
                others.add(status.context)
            continue
        current = newest.get(status.context)
        if current is None or status.created_at > current[0].created_at:
            newest[status.context] = (status, provider)
    reported = {provider for _, provider in newest.values()}
    missing = tuple(p for p in selection.providers if p not in reported)
    seen = tuple(sorted((c, s.state) for c, (s, _) in newest.items()))
    reading = GateReading("none", seen, missing, tuple(sorted(others)), selection.wanted, selection.env)
    states = {s.state for s, _ in newest.values()}
    if not newest:
        return reading
    if "failure" in states:
        return replace(reading, verdict="failure")
    if states == {"success"} and not missing:
        return replace(reading, verdict="success")
    return replace(reading, verdict="pending")
