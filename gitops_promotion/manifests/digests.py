"""Which image an app's ``:digest`` markers pin: the ``:name`` marker's value, else a full reference's name.

The Flux HelmRelease values form splits one image over three markers (``:name``, ``:tag``, ``:digest``); a new
tag needs the digest of that tag in that repository, which only the registry knows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gitops_promotion.manifests.images import parse_image_ref
from gitops_promotion.manifests.markers import Marker, ParsedFile


@dataclass(frozen=True)
class Located:
    """A marker and the repository-relative file messages name it by."""

    marker: Marker
    rel: str

    @property
    def where(self) -> str:
        """``file:line``."""
        return f"{self.rel}:{self.marker.line}"


@dataclass(frozen=True)
class AppImage:
    """What an app's markers under some paths say about its image."""

    name: str | None  # the image repository (host/path), when a marker holds it
    digest_markers: tuple[Located, ...]  # the `:digest` markers a new tag must rewrite
    first: Located | None  # the app's first marker, for messages


def app_image(files: Sequence[ParsedFile], group: str, app: str) -> AppImage:
    """The image name and ``:digest`` markers of ``group:app`` in ``files`` (first ``:name`` in a digest's file
    wins, then any ``:name``, then the name part of a full reference)."""
    mine = [
        (parsed.rel, marker)
        for parsed in files
        for marker in parsed.markers
        if marker.namespace == group and marker.name == app
    ]
    located = [Located(marker, rel) for rel, marker in mine]
    digests = tuple(item for item in located if item.marker.field == "digest")
    names = [item for item in located if item.marker.field == "name" and item.marker.value]
    if digests:
        same_file = [item for item in names if item.marker.path == digests[0].marker.path]
        names = same_file or names
    name = names[0].marker.value if names else None
    if name is None:
        fulls = [parse_image_ref(item.marker.value).name for item in located if item.marker.field == "full"]
        name = next((full for full in fulls if full), None)
    return AppImage(name=name, digest_markers=digests, first=located[0] if located else None)
