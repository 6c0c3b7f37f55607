"""Where an image lives: registry host and repository path, and whether that host is spoken to over http."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from gitops_promotion.errors import UsageError


@dataclass(frozen=True)
class ImageLocation:
    """``host`` (with its port) and ``repository`` (the path the API puts after ``/v2/``)."""

    host: str
    repository: str


def split_image(name: str) -> ImageLocation:
    """Split an image name (no tag, no digest) as Docker does: the first component is a host when it looks like one.

    A name without a host (``nginx``, ``library/nginx``) is refused rather than sent to an implied default
    registry: the manifest must say where the image is pulled from for the tool to ask the same place.
    """
    first, slash, rest = name.partition("/")
    if not slash or not rest or not ("." in first or ":" in first or first == "localhost"):
        msg = (
            f"image {name!r} names no registry host; write the full name (host[:port]/path) "
            "so its digest can be read from the registry it is pulled from"
        )
        raise UsageError(msg)
    return ImageLocation(host=first, repository=rest)


def is_loopback(host: str) -> bool:
    """``host`` (which may carry a port) is localhost, 127.0.0.0/8 or ::1."""
    bare = _without_port(host)
    if bare == "localhost":
        return True
    try:
        return ipaddress.ip_address(bare).is_loopback
    except ValueError:
        return False


def base_url(host: str, insecure: tuple[str, ...]) -> str:
    """https always, except loopback hosts and hosts listed as insecure, which use plain http as Docker does."""
    plain = is_loopback(host) or host in insecure or _without_port(host) in insecure
    return f"{'http' if plain else 'https'}://{host}"


def _without_port(host: str) -> str:
    if host.startswith("["):  # [::1]:5000
        return host[1:].partition("]")[0]
    if host.count(":") == 1:
        return host.partition(":")[0]
    return host  # a bare IPv6 address, or a name without a port
