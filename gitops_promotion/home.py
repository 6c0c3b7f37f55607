"""Where the project lives: the repository to pin the action to, the package name, the container image."""

from __future__ import annotations

REPOSITORY = "gitops-promotion/gitops-promotion"
PYPI_NAME = "gitops-promotion"
IMAGE = "ghcr.io/gitops-promotion/gitops-promotion"
