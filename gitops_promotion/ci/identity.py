"""Who the tool commits as: flags, then CI-provided environment, then git config, then a default."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gitops_promotion.gitrepo import GitRepo

DEFAULT_NAME = "gitops-promotion"
DEFAULT_EMAIL = "gitops-promotion@users.noreply.github.com"


@dataclass(frozen=True)
class Identity:
    name: str = DEFAULT_NAME
    email: str = DEFAULT_EMAIL


def identity_from(environ: Mapping[str, str], name: str | None, email: str | None, repo: GitRepo) -> Identity:
    """Commit identity: flags, then GITOPS_PROMOTION_GIT_* env, then `git config gitops-promotion.*`, then default."""
    name = name or environ.get("GITOPS_PROMOTION_GIT_NAME") or repo.config("gitops-promotion.name") or DEFAULT_NAME
    email = email or environ.get("GITOPS_PROMOTION_GIT_EMAIL") or repo.config("gitops-promotion.email") or DEFAULT_EMAIL
    return Identity(name=name, email=email)
