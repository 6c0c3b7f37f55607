"""Ask a registry what a tag points to: ``HEAD /v2/<repository>/manifests/<tag>``, authenticating on a 401."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitops_promotion.registry.auth import bearer_token, parse_challenge
from gitops_promotion.registry.credentials import Credentials, from_docker_config
from gitops_promotion.registry.errors import RegistryAuthError, RegistryError, TagNotFound
from gitops_promotion.registry.reference import base_url, split_image

if TYPE_CHECKING:
    import requests

# Every manifest kind a tag can name; without them a registry may convert or refuse (distribution answers a
# Docker v2 schema 1 manifest, with another digest, to a client that accepts nothing else).
ACCEPT = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class RegistrySettings:
    """How to reach registries: hosts spoken to over http, explicit credentials, where docker's config is."""

    insecure: tuple[str, ...] = ()
    credentials: Credentials | None = field(default=None, repr=False)
    environ: Mapping[str, str] = field(default_factory=dict, repr=False)
    timeout: float = 30.0


def resolve_digest(image: str, tag: str, settings: RegistrySettings, session: requests.Session | None = None) -> str:
    """The digest of the manifest ``image:tag`` names (what a pull of that tag gets); raises RegistryError."""
    import requests as requests_module

    where = split_image(image)
    url = f"{base_url(where.host, settings.insecure)}/v2/{where.repository}/manifests/{tag}"
    credentials = settings.credentials or from_docker_config(where.host, settings.environ)
    http = session or requests_module.Session()
    try:
        response = _authenticated_head(http, url, credentials, settings.timeout, f"{image}:{tag}")
        if response.status_code == 200:
            return _digest_of(http, response, url, f"{image}:{tag}", settings.timeout)
    finally:
        if session is None:
            http.close()
    if response.status_code == 404:
        msg = f"the registry {where.host} has no image {image}:{tag}"
        raise TagNotFound(msg)
    if response.status_code in (401, 403):
        status = response.status_code
        msg = f"the registry {where.host} refused access to {image}:{tag} (HTTP {status}){_hint(credentials)}"
        raise RegistryAuthError(msg)
    msg = f"the registry {where.host} answered HTTP {response.status_code} for {image}:{tag}"
    raise RegistryError(msg)


def _authenticated_head(
    http: requests.Session, url: str, credentials: Credentials | None, timeout: float, what: str
) -> requests.Response:
    """HEAD ``url`` anonymously (or with a given token); on a 401 answer the challenge once and retry."""
    headers = {"Accept": ACCEPT}
    if credentials is not None and credentials.token:
        headers["Authorization"] = f"Bearer {credentials.token}"
    response = _head(http, url, headers, timeout, what)
    if response.status_code != 401 or "Authorization" in headers:
        return response
    challenge = parse_challenge(response.headers.get("WWW-Authenticate", ""))
    if challenge is not None and challenge.scheme == "bearer":
        headers["Authorization"] = f"Bearer {bearer_token(http, challenge, credentials, timeout=timeout)}"
    elif challenge is not None and challenge.scheme == "basic" and credentials is not None and credentials.password:
        import base64

        pair = base64.b64encode(f"{credentials.username}:{credentials.password}".encode()).decode()
        headers["Authorization"] = f"Basic {pair}"
    else:
        return response
    return _head(http, url, headers, timeout, what)


def _head(http: requests.Session, url: str, headers: dict[str, str], timeout: float, what: str) -> requests.Response:
    import requests as requests_module

    try:
        return http.head(url, headers=headers, timeout=timeout, allow_redirects=True)
    except requests_module.RequestException as exc:
        host = url.split("/")[2]
        msg = f"cannot reach the registry {host} to read {what}: {type(exc).__name__}"
        raise RegistryError(msg) from None


def _digest_of(http: requests.Session, response: requests.Response, url: str, what: str, timeout: float) -> str:
    """``Docker-Content-Digest``; without it, the sha256 of the manifest bytes (the digest by definition)."""
    digest = response.headers.get("Docker-Content-Digest", "")
    if not digest:
        import requests as requests_module

        headers = {"Accept": ACCEPT}
        if "Authorization" in response.request.headers:
            headers["Authorization"] = str(response.request.headers["Authorization"])
        try:
            body = http.get(url, headers=headers, timeout=timeout)
        except requests_module.RequestException as exc:
            msg = f"cannot read the manifest of {what}: {type(exc).__name__}"
            raise RegistryError(msg) from None
        if body.status_code != 200:
            msg = f"the registry answered HTTP {body.status_code} to a read of the manifest of {what}"
            raise RegistryError(msg)
        digest = "sha256:" + hashlib.sha256(body.content).hexdigest()
    if not _DIGEST.fullmatch(digest):
        msg = f"the registry gave {what} the digest {digest[:80]!r}; only sha256 digests can be pinned"
        raise RegistryError(msg)
    return digest


def _hint(credentials: Credentials | None) -> str:
    if credentials is None:
        return "; give credentials with --registry-auth (user:password or a token) or docker login"
    return "; check the credentials' access to this repository"
