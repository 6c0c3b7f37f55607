"""The fake forges' fixtures, for the feature flows against them."""

from tests.forge.fixtures import github_fake_factory, github_schemas

__all__ = ["github_fake_factory", "github_schemas"]
