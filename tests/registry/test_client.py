"""The registry client against a real registry: digests, unknown tags, http only on loopback, auth."""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import pytest

from gitops_promotion.registry import RegistrySettings, resolve_digest
from gitops_promotion.registry.credentials import Credentials, parse_auth
from gitops_promotion.registry.errors import RegistryAuthError, RegistryError, TagNotFound
from gitops_promotion.registry.reference import base_url, split_image
from tests.registry.conftest import PASSWORD, USER
from tests.registry.server import Registry
from tests.registry.token_service import TokenService


def test_resolves_the_digest_of_the_pushed_manifest(registry: Registry) -> None:
    first = registry.push_image("team/web", "1.0", content=b"one")
    second = registry.push_image("team/web", "1.1", content=b"two")
    assert first != second
    settings = RegistrySettings()
    assert resolve_digest(f"{registry.host}/team/web", "1.0", settings) == first
    assert resolve_digest(f"{registry.host}/team/web", "1.1", settings) == second


def test_a_moved_tag_resolves_to_its_new_manifest(registry: Registry) -> None:
    registry.push_image("team/moving", "latest", content=b"old")
    newer = registry.push_image("team/moving", "latest", content=b"new")
    assert resolve_digest(f"{registry.host}/team/moving", "latest", RegistrySettings()) == newer


def test_an_unknown_tag_is_not_found(registry: Registry) -> None:
    registry.push_image("team/api", "1.0")
    with pytest.raises(TagNotFound, match=r"has no image 127\.0\.0\.1:\d+/team/api:9\.9"):
        resolve_digest(f"{registry.host}/team/api", "9.9", RegistrySettings())
    with pytest.raises(TagNotFound):
        resolve_digest(f"{registry.host}/team/never-pushed", "1.0", RegistrySettings())


def test_localhost_is_spoken_to_over_http(registry: Registry) -> None:
    digest = registry.push_image("team/local", "2.0")
    assert resolve_digest(f"localhost:{registry.port}/team/local", "2.0", RegistrySettings()) == digest


def test_other_hosts_use_https_unless_listed_insecure() -> None:
    assert base_url("registry.example.test:5000", ()) == "https://registry.example.test:5000"
    assert base_url("registry.example.test:5000", ("registry.example.test:5000",)).startswith("http://")
    assert base_url("registry.example.test", ("registry.example.test",)) == "http://registry.example.test"
    assert base_url("127.0.0.9:5000", ()) == "http://127.0.0.9:5000"
    assert base_url("[::1]:5000", ()) == "http://[::1]:5000"
    assert base_url("localhost", ()) == "http://localhost"
    assert base_url("10.0.0.1:5000", ()) == "https://10.0.0.1:5000"
    assert base_url("localhost.example.test", ()) == "https://localhost.example.test"


def test_a_non_loopback_registry_is_reached_over_https_only(outward_registry: Registry) -> None:
    """A plain-http registry on a non-loopback address is refused (no fallback to http) until listed insecure."""
    digest = outward_registry.push_image("team/tls", "1.0")
    image = f"{outward_registry.host}/team/tls"
    with pytest.raises(RegistryError, match=rf"cannot reach the registry {re.escape(outward_registry.host)}"):
        resolve_digest(image, "1.0", RegistrySettings(timeout=10))
    assert resolve_digest(image, "1.0", RegistrySettings(insecure=(outward_registry.host,))) == digest
    assert resolve_digest(image, "1.0", RegistrySettings(insecure=(outward_registry.address,))) == digest


def test_image_names_without_a_host_are_refused() -> None:
    assert split_image("registry.example.test:5000/a/b").repository == "a/b"
    assert split_image("localhost/app").host == "localhost"
    for name in ("nginx", "library/nginx", "team/app"):
        with pytest.raises(Exception, match="names no registry host"):
            split_image(name)


def test_basic_auth_with_explicit_credentials(basic_registry: Registry) -> None:
    digest = basic_registry.push_image("private/app", "3.0")
    image = f"{basic_registry.host}/private/app"
    with pytest.raises(RegistryAuthError, match=r"refused access .*HTTP 401.*--registry-auth"):
        resolve_digest(image, "3.0", RegistrySettings())
    settings = RegistrySettings(credentials=parse_auth(f"{USER}:{PASSWORD}", source="--registry-auth"))
    assert resolve_digest(image, "3.0", settings) == digest
    wrong = RegistrySettings(credentials=Credentials(username=USER, password="wrong-password"))
    with pytest.raises(RegistryAuthError, match="check the credentials"):
        resolve_digest(image, "3.0", wrong)


def test_basic_auth_from_docker_config(basic_registry: Registry, tmp_path: Path) -> None:
    digest = basic_registry.push_image("private/cfg", "1.0")
    pair = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    (tmp_path / "config.json").write_text(json.dumps({"auths": {f"http://{basic_registry.host}/v2/": {"auth": pair}}}))
    settings = RegistrySettings(environ={"DOCKER_CONFIG": str(tmp_path)})
    assert resolve_digest(f"{basic_registry.host}/private/cfg", "1.0", settings) == digest
    other = tmp_path / "home"
    (other / ".docker").mkdir(parents=True)
    (other / ".docker" / "config.json").write_text(json.dumps({"auths": {basic_registry.host: {"auth": pair}}}))
    assert (
        resolve_digest(f"{basic_registry.host}/private/cfg", "1.0", RegistrySettings(environ={"HOME": str(other)}))
        == digest
    )


def test_credentials_never_show_in_repr() -> None:
    creds = parse_auth("someone:hunter2-long-secret", source="--registry-auth")
    assert "hunter2" not in repr(creds)
    assert "hunter2" not in repr(RegistrySettings(credentials=creds))
    assert parse_auth("a-bare-token-value", source="x").token == "a-bare-token-value"
    for bad in ("", ":pw", "user:"):
        with pytest.raises(Exception, match="--registry-auth"):
            parse_auth(bad, source="--registry-auth")


def test_bearer_token_auth(token_registry: tuple[Registry, TokenService]) -> None:
    registry, service = token_registry
    private = registry.push_image("team/secret", "1.0", content=b"s")
    public = registry.push_image("public/base", "1.0", content=b"p")
    service.requests.clear()

    # anonymous: the token service grants pull on public/* only
    assert resolve_digest(f"{registry.host}/public/base", "1.0", RegistrySettings()) == public
    assert service.requests == [("", "repository:public/base:pull")]
    with pytest.raises(RegistryAuthError, match="refused access"):
        resolve_digest(f"{registry.host}/team/secret", "1.0", RegistrySettings())

    creds = parse_auth(f"{USER}:{PASSWORD}", source="--registry-auth")
    assert resolve_digest(f"{registry.host}/team/secret", "1.0", RegistrySettings(credentials=creds)) == private
    assert service.requests[-1] == (USER, "repository:team/secret:pull")

    wrong = RegistrySettings(credentials=Credentials(username=USER, password="not-it-at-all"))
    with pytest.raises(RegistryAuthError, match=r"token service .* refused the credentials"):
        resolve_digest(f"{registry.host}/team/secret", "1.0", wrong)

    # a ready token is sent as is
    token = RegistrySettings(credentials=Credentials(token=service.mint("team/secret", ["pull"])))
    assert resolve_digest(f"{registry.host}/team/secret", "1.0", token) == private


def test_challenge_parsing() -> None:
    from gitops_promotion.registry.auth import parse_challenge

    found = parse_challenge(
        'Bearer realm="https://auth.example.test/token",service="registry.example.test",'
        'scope="repository:team/app:pull,push", error="invalid_token"'
    )
    assert found is not None and found.scheme == "bearer"
    assert found.params == {
        "realm": "https://auth.example.test/token",
        "service": "registry.example.test",
        "scope": "repository:team/app:pull,push",
        "error": "invalid_token",
    }
    basic = parse_challenge('Basic realm="a \\"quoted\\" realm"')
    assert basic is not None and basic.scheme == "basic" and basic.params == {"realm": 'a "quoted" realm'}
    assert parse_challenge("") is None


def test_docker_config_entries(tmp_path: Path) -> None:
    from gitops_promotion.errors import UsageError
    from gitops_promotion.registry.credentials import from_docker_config

    environ = {"DOCKER_CONFIG": str(tmp_path)}
    assert from_docker_config("reg.example.test", environ) is None  # no file: anonymous
    config = tmp_path / "config.json"
    pair = base64.b64encode(b"me:long-enough-pass").decode()
    config.write_text(json.dumps({"auths": {"https://reg.example.test/v1/": {"auth": pair}}, "credsStore": "x"}))
    found = from_docker_config("reg.example.test", environ)
    assert found is not None and (found.username, found.password) == ("me", "long-enough-pass")
    assert from_docker_config("reg.example.test:5000", environ) is None  # another port is another registry
    config.write_text(json.dumps({"auths": {"reg.example.test": {"auth": "%%%"}}}))
    with pytest.raises(UsageError, match=r"config\.json: auths\.reg\.example\.test\.auth is not base64"):
        from_docker_config("reg.example.test", environ)
    config.write_text("{not json")
    with pytest.raises(UsageError, match="cannot read docker credentials"):
        from_docker_config("reg.example.test", environ)
