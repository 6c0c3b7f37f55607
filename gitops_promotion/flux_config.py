"""The ``flux:`` block of an environment: which Flux commit statuses prove it deployed a commit (DESIGN 3).

Validated here, once; gitops_promotion.gate turns it into the one matching rule every command uses.
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Annotated

from gitops_promotion.typed_data import FORBID_EXTRA, Check

# Kinds whose events notification-controller forwards (event sources of an Alert); since Flux v1.8 any of them
# may post a commit status. Matched case-insensitively, as Flux lower-cases the whole context.
FLUX_KINDS = (
    "Kustomization",
    "HelmRelease",
    "GitRepository",
    "OCIRepository",
    "HelmRepository",
    "HelmChart",
    "Bucket",
    "ExternalArtifact",
    "ArtifactGenerator",
    "ImageRepository",
    "ImagePolicy",
    "ImageUpdateAutomation",
    "FluxInstance",
    "ResourceSet",
)
_KINDS = {kind.lower(): kind for kind in FLUX_KINDS}
_PLACEHOLDERS = {"group", "env"}
_NAME = re.compile(r"^[A-Za-z0-9.{}-]+$")
_UID_SEGMENT = re.compile(r"^[0-9a-fA-F]{8}$")
DEFAULT_NAME = "{group}-{env}"


def substitute(text: str, *, group: str, env: str, escape: bool = False) -> str:
    """``{group}``/``{env}`` replaced (only those two: a regex keeps its ``{8}`` quantifiers)."""
    quote = re.escape if escape else str
    return text.replace("{group}", quote(group)).replace("{env}", quote(env))


def _flux_kind(value: str | None) -> str | None:
    if value is not None and value.lower() not in _KINDS:
        msg = f"{value!r} is not a Flux kind that posts commit statuses (one of {', '.join(FLUX_KINDS)})"
        raise ValueError(msg)
    return _KINDS[value.lower()] if value is not None else None


def _object_name(value: str | None) -> str | None:
    if value is None:
        return None
    unknown = {field for _, field, _, _ in string.Formatter().parse(value) if field is not None}
    if not _NAME.match(value) or unknown - _PLACEHOLDERS:
        msg = f"{value!r} must be a Flux object name; only {{group}} and {{env}} are substituted"
        raise ValueError(msg)
    return value


def _uid_segments(value: tuple[str, ...]) -> tuple[str, ...]:
    for provider in value:
        if not _UID_SEGMENT.match(provider):
            msg = (
                f"{provider!r} is not the first segment of a Flux Provider's UID (8 hex digits, as in "
                "kustomization/apps/5f0e7c1a; kubectl -n flux-system get provider NAME -o "
                "jsonpath='{.metadata.uid}')"
            )
            raise ValueError(msg)
    return tuple(p.lower() for p in value)


def _regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(substitute(value, group="group", env="env", escape=True))
        except re.error as exc:
            msg = f"context is not a valid regular expression: {exc}"
            raise ValueError(msg) from None
    return value


@dataclass(frozen=True, kw_only=True)
class FluxStatusConfig:
    """``kind``/``name``/``providers``, or a ``context`` regex for Providers that set ``commitStatusExpr``."""

    __pydantic_config__ = FORBID_EXTRA

    kind: Annotated[str | None, Check(_flux_kind)] = None
    name: Annotated[str | None, Check(_object_name)] = None
    providers: Annotated[tuple[str, ...], Check(_uid_segments)] = ()
    context: Annotated[str | None, Check(_regex)] = None

    def __post_init__(self) -> None:
        if self.context is not None and (self.kind is not None or self.name is not None):
            msg = "context replaces kind and name (it matches the whole status context); set one or the other"
            raise ValueError(msg)
        if self.context is not None and self.providers and "(?P<provider>" not in self.context:
            msg = "providers with a context regex needs a (?P<provider>...) group that captures the Provider"
            raise ValueError(msg)
