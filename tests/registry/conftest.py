"""Fixtures: a real registry per test module (anonymous), and one that requires htpasswd basic auth."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.registry.server import Registry, outward_address, start_registry
from tests.registry.token_service import ISSUER, SERVICE, TokenService, make_key_and_cert, running
from tests.tools import ensure_registry

USER, PASSWORD = "promoter", "s3cret-registry-pass"


@pytest.fixture(scope="session")
def registry_binary() -> str:
    return ensure_registry()


@pytest.fixture(scope="module")
def registry(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    server = start_registry(registry_binary, tmp_path_factory.mktemp("registry"))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def outward_registry(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A plain-http registry on this machine's non-loopback address: https unless configured insecure."""
    server = start_registry(registry_binary, tmp_path_factory.mktemp("registry-out"), address=outward_address())
    yield server
    server.stop()


@pytest.fixture(scope="module")
def basic_registry(registry_binary: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Registry]:
    """A registry that answers 401 with a Basic challenge until given USER:PASSWORD."""
    import bcrypt

    directory = tmp_path_factory.mktemp("registry-basic")
    htpasswd = Path(directory) / "htpasswd"
    hashed = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=5)).decode()
    htpasswd.write_text(f"{USER}:{hashed}\n")
    server = start_registry(registry_binary, directory, auth={"htpasswd": {"realm": "test", "path": str(htpasswd)}})
    server.auth = (USER, PASSWORD)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def token_registry(
    registry_binary: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[Registry, TokenService]]:
    """A registry that answers 401 with a Bearer challenge pointing at a real token service (USER:PASSWORD)."""
    directory = tmp_path_factory.mktemp("registry-token")
    key, cert, bundle = make_key_and_cert(directory)
    with running(TokenService(key_pem=key, cert_der=cert, users={USER: PASSWORD})) as service:
        auth = {"token": {"realm": service.url, "service": SERVICE, "issuer": ISSUER, "rootcertbundle": str(bundle)}}
        server = start_registry(registry_binary, directory, auth=auth)
        server.token_for = lambda repository: service.mint(repository, ["pull", "push"])
        yield server, service
        server.stop()
