"""Promote container images through GitOps environments with pull requests."""

__version__ = "0.1.0"
