"""Registry failures: each says which image and what to do; none carries a credential."""

from __future__ import annotations

from gitops_promotion.errors import PromotionError


class RegistryError(PromotionError):
    """The registry could not say what a tag points to (unreachable, refused, or an unexpected answer)."""


class RegistryAuthError(RegistryError):
    """The registry or its token service refused the credentials, or asked for some the run does not have."""


class TagNotFound(RegistryError):
    """The registry has no manifest under this tag."""
