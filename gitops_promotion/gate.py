"""Reading Flux's commit statuses (DESIGN 3): which contexts count, newest per context, all clusters must pass."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from gitops_promotion.providers.base import CommitStatus

Verdict = Literal["success", "failure", "pending", "none"]


@dataclass(frozen=True)
class GateReading:
    verdict: Verdict
    seen: tuple[tuple[str, str], ...]  # (context, state) of the newest status per matching context

    def describe(self) -> str:
        if not self.seen:
            return "no Flux status yet"
        return ", ".join(f"{context}={state}" for context, state in self.seen)


def is_flux(status: CommitStatus) -> bool:
    """GitHub statuses carry no genre; on Azure DevOps Flux uses genre `fluxcd` or `fluxcd:<summary>`."""
    return status.genre is None or status.genre == "fluxcd" or status.genre.startswith("fluxcd:")


def kustomization_name(context: str) -> str | None:
    """``kustomization/<name>[/<uid>]`` -> ``<name>``; None for contexts that do not split."""
    parts = context.split("/")
    return parts[1] if len(parts) >= 2 and parts[1] else None


def read_gate(statuses: Iterable[CommitStatus], name: str) -> GateReading:
    """The verdict for Kustomization ``name`` (``<group>-<env>``) from one commit's statuses."""
    newest: dict[str, CommitStatus] = {}
    for status in statuses:
        if not is_flux(status) or kustomization_name(status.context) != name:
            continue
        current = newest.get(status.context)
        if current is None or status.created_at > current.created_at:
            newest[status.context] = status
    seen = tuple(sorted((c, s.state) for c, s in newest.items()))
    if not newest:
        return GateReading("none", seen)
    states = {s.state for s in newest.values()}
    if "failure" in states:
        return GateReading("failure", seen)
    if states == {"success"}:
        return GateReading("success", seen)
    return GateReading("pending", seen)
