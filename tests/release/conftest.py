"""Fixtures for release management: one webhook server per session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.release.hooks import Hooks, start_hooks


@pytest.fixture(scope="session")
def hook_server() -> Iterator[Hooks]:
    hooks = start_hooks()
    yield hooks
    hooks.server.shutdown()
    hooks.server.server_close()


@pytest.fixture
def hooks(hook_server: Hooks) -> Hooks:
    hook_server.received.clear()
    return hook_server


from tests.forge.fixtures import github_fake_factory, github_schemas  # noqa: E402 - fixtures for the fake GitHub

__all__ = ["github_fake_factory", "github_schemas", "hook_server", "hooks"]
