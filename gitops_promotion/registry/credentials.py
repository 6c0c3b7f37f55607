"""Registry credentials: --registry-auth (or its environment variable), else docker's config.json, else none.

Credential helpers (``credsStore``, ``credHelpers``) are not run: CI jobs log in with ``docker login``, which
writes ``auths.<host>.auth`` unless a helper is configured, and a flag or variable covers the rest.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from gitops_promotion.errors import UsageError


@dataclass(frozen=True)
class Credentials:
    """Either a user and password (basic auth, also used to get a bearer token) or a ready bearer token."""

    username: str = ""
    password: str = ""
    token: str = ""

    def __repr__(self) -> str:  # never show a secret in a traceback or log line
        return f"Credentials(username={self.username!r}, password=***, token=***)"


def parse_auth(value: str, *, source: str) -> Credentials:
    """``user:password`` or a bare token; ``source`` names the flag or file in the error."""
    if not value.strip():
        msg = f"{source}: empty registry credentials (expected user:password or a token)"
        raise UsageError(msg)
    user, colon, password = value.partition(":")
    if colon:
        if not user or not password:
            msg = f"{source}: expected user:password (both non-empty) or a token"
            raise UsageError(msg)
        return Credentials(username=user, password=password)
    return Credentials(token=value)


def docker_config_path(environ: Mapping[str, str]) -> Path:
    """``$DOCKER_CONFIG/config.json``, else ``~/.docker/config.json`` (as the docker CLI reads it)."""
    directory = environ.get("DOCKER_CONFIG")
    if directory:
        return Path(directory) / "config.json"
    home = Path(environ["HOME"]) if environ.get("HOME") else Path("~").expanduser()
    return home / ".docker" / "config.json"


def from_docker_config(host: str, environ: Mapping[str, str]) -> Credentials | None:
    """The ``auths`` entry for ``host`` (also written as a URL) in docker's config.json, or None."""
    path = docker_config_path(environ)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        msg = f"{path}: cannot read docker credentials: {exc}"
        raise UsageError(msg, file=str(path)) from None
    auths = data.get("auths") if isinstance(data, dict) else None
    if not isinstance(auths, dict):
        return None
    for key, entry in auths.items():
        if _host_of(key) != host or not isinstance(entry, dict):
            continue
        if isinstance(entry.get("auth"), str) and entry["auth"]:
            try:
                decoded = base64.b64decode(entry["auth"], validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                msg = f"{path}: auths.{key}.auth is not base64 of user:password"
                raise UsageError(msg, file=str(path)) from None
            return parse_auth(decoded, source=f"{path}: auths.{key}.auth")
    return None


def _host_of(key: str) -> str:
    """``https://host:5000/v2/`` and ``host:5000`` both name host:5000."""
    bare = key.split("://", 1)[-1]
    return bare.split("/", 1)[0]
