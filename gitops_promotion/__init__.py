"""Promote container images through GitOps environments with pull requests."""

__version__ = "1.0.0"
