"""Registry authentication: the ``WWW-Authenticate`` challenge of a 401, and the bearer token it asks for.

The token flow is Docker's (distribution's docs, "Token Authentication Specification"): GET the realm with
``service`` and ``scope``, with basic credentials when there are any, and read ``token`` (or ``access_token``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gitops_promotion.registry.credentials import Credentials

if TYPE_CHECKING:
    import requests

# auth-param = token "=" ( token / quoted-string ), RFC 9110 11.2
_PARAM = re.compile(r'\s*([A-Za-z0-9!#$%&\'*+.^_`|~-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*,?')


@dataclass(frozen=True)
class Challenge:
    """One challenge: its scheme in lower case (``bearer``, ``basic``) and its parameters."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)


def parse_challenge(header: str) -> Challenge | None:
    """The first challenge of a ``WWW-Authenticate`` header, or None when there is none."""
    header = header.strip()
    if not header:
        return None
    scheme, _, rest = header.partition(" ")
    params: dict[str, str] = {}
    at = 0
    while at < len(rest):
        match = _PARAM.match(rest, at)
        if match is None or match.end() == at:
            break  # a second challenge or token68 follows: the first one is all we use
        value = match.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[match.group(1).lower()] = value
        at = match.end()
    return Challenge(scheme=scheme.lower(), params=params)


def bearer_token(
    session: requests.Session, challenge: Challenge, credentials: Credentials | None, *, timeout: float
) -> str:
    """A token from the challenge's realm; raises RegistryAuthError when the realm refuses or answers badly."""
    import requests as requests_module

    from gitops_promotion.registry.errors import RegistryAuthError

    realm = challenge.params.get("realm", "")
    if not realm.startswith(("https://", "http://")):
        msg = f"the registry asked for a bearer token without a usable realm ({realm or 'none'})"
        raise RegistryAuthError(msg)
    query = {key: challenge.params[key] for key in ("service", "scope") if challenge.params.get(key)}
    auth = None
    if credentials is not None and credentials.password:
        auth = (credentials.username, credentials.password)
    try:
        response = session.get(realm, params=query, auth=auth, timeout=timeout)
    except requests_module.RequestException as exc:
        msg = f"cannot reach the registry's token service {realm}: {type(exc).__name__}"
        raise RegistryAuthError(msg) from None
    if response.status_code in (401, 403):
        msg = f"the registry's token service {realm} refused the credentials (HTTP {response.status_code})"
        raise RegistryAuthError(msg)
    try:
        body = response.json()
    except ValueError:
        body = None
    token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
    if response.status_code != 200 or not isinstance(token, str) or not token:
        msg = f"the registry's token service {realm} gave no token (HTTP {response.status_code})"
        raise RegistryAuthError(msg)
    return token
