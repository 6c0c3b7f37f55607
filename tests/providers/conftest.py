"""Fixtures for provider tests against the fake forges."""

from tests.forge.azure_fixtures import azure_forge, azure_provider, azure_provider_factory, azure_repo
from tests.forge.fixtures import github_fake_factory, github_schemas

__all__ = [
    "azure_forge",
    "azure_provider",
    "azure_provider_factory",
    "azure_repo",
    "github_fake_factory",
    "github_schemas",
]
