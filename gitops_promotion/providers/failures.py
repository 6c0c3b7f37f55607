"""Why a forge request failed, classified once for every adapter (issue 14, item 9): a network error, an
authentication error and a permission error need different fixes, and the message gives the matching one.

A failure that may have landed or may pass on a later try (transient, network) is also what makes PR creation
look the PR up by its head branch before creating it again (``create_or_adopt``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Literal

from gitops_promotion.errors import ProviderError, PullRequestExists
from gitops_promotion.providers.base import PullRequest

Kind = Literal["network", "auth", "permission", "transient", "refused"]
CREATE_ROUNDS = 3  # create, look up, create again ...: each round already retried inside the adapter
_TRANSIENT_TEXT = re.compile(r"\b(50[0-4])\b|service unavailable|bad gateway|gateway timeout|rate limit", re.I)
_PERMISSION_CODES = ("TF401027", "TF401019", "TF400409")  # Azure DevOps: missing Git/PR permission
_AUTH_CODES = ("TF400813", "TF400898")  # Azure DevOps: the token is not accepted


def classify(status: int | None, text: str = "") -> Kind:
    """The kind of a failed request: ``status`` None means no answer came back (a network error)."""
    if status is None:
        return "network"
    if status == 401 or any(code in text for code in _AUTH_CODES):
        return "auth"
    if status in (429, 500, 502, 503, 504) or _TRANSIENT_TEXT.search(text):
        return "transient"
    if status == 403 or any(code in text for code in _PERMISSION_CODES):
        return "permission"
    return "refused"


def fix_for(kind: Kind, forge: str, where: str, permission: str) -> str:
    """The fix that matches ``kind``, one phrase."""
    return {
        "network": f"{forge} could not be reached: check the network, proxy and API URL; the token is not the problem",
        "auth": f"{forge} did not accept the token: it is wrong, expired or revoked; pass a valid one ({where})",
        "permission": f"the token is valid but lacks a permission: give it {permission}",
        "transient": f"{forge} is failing or rate-limiting for now; rerun later (a rerun is safe)",
        "refused": "",
    }[kind]


def provider_error(message: str, kind: Kind, *, forge: str, where: str, permission: str) -> ProviderError:
    """A ProviderError whose message ends with the fix for its kind."""
    fix = fix_for(kind, forge, where, permission)
    return ProviderError(f"{message} ({fix})" if fix else message, kind=kind)


def create_or_adopt(create: Callable[[], PullRequest], find: Callable[[], PullRequest | None]) -> PullRequest:
    """Create a PR; after a failure that may have landed (a lost answer) or may pass later (5xx, dropped
    connection), look it up by its head branch before creating again: never two PRs, never a lost one."""
    for attempt in range(1, CREATE_ROUNDS + 1):
        try:
            return create()
        except PullRequestExists:
            raise
        except ProviderError as exc:
            if exc.kind not in ("transient", "network") or attempt == CREATE_ROUNDS:
                raise
        found = find()
        if found is not None:
            return found
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
