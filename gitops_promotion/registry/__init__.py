"""The OCI distribution API, as much as promotions need: a tag's manifest digest, or whether the tag exists.

Imported lazily (only a run that must resolve or verify a tag pays for ``requests``).
"""

from gitops_promotion.registry.client import RegistrySettings, resolve_digest
from gitops_promotion.registry.errors import RegistryError
from gitops_promotion.registry.reference import split_image

__all__ = ["RegistryError", "RegistrySettings", "resolve_digest", "split_image"]
