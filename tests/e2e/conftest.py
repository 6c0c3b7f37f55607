"""Fixtures for the end-to-end flows: each fake forge's fixtures, imported under forge-specific names."""

from tests.forge.fixtures import github_fake_factory, github_schemas

__all__ = ["github_fake_factory", "github_schemas"]
