"""Marker forms that cannot do what they say: a ``:tag`` marker on a scalar that holds a whole image reference.

Flux writes only the tag into a ``:tag`` scalar, so ``image: host/app:1.0 # {"$imagepolicy": "ns:app:tag"}``
becomes ``image: "1.1"`` and the workload breaks. A full reference takes the bare ``ns:name`` form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from gitops_promotion.errors import ManifestError
from gitops_promotion.manifests.markers import Marker, ParsedFile

_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
# distribution/reference's grammar, loosely: [host[:port]/]path[:tag][@digest]
_COMPONENT = r"[A-Za-z0-9]+(?:(?:[._]|__|-+)[A-Za-z0-9]+)*"
_REFERENCE = re.compile(
    rf"(?:[A-Za-z0-9.-]+(?::[0-9]+)?/)?{_COMPONENT}(?:/{_COMPONENT})*"
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(?:@[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[A-Za-z0-9=_-]+)?"
)


def holds_full_reference(marker: Marker) -> bool:
    """A ``:tag`` marker whose value is an image reference (with a path, a tag or a digest), not a bare tag."""
    value = marker.value
    return marker.field == "tag" and not _TAG.fullmatch(value) and _REFERENCE.fullmatch(value) is not None


def wrong_form_message(marker: Marker, where: str) -> str:
    """The one-line error for such a marker; ``where`` is its ``file:line``."""
    return (
        f'{where}: {{"$imagepolicy": "{marker.policy}:tag"}} marks the full image reference {marker.value!r}, '
        f'which a tag update would replace by the bare tag; use {{"$imagepolicy": "{marker.policy}"}} on a full '
        'reference (":tag" is for a scalar that holds only the tag)'
    )


def wrong_forms(markers: Iterable[Marker]) -> list[Marker]:
    """Every ``:tag`` marker on a full image reference, in the order given."""
    return [marker for marker in markers if holds_full_reference(marker)]


def refuse_wrong_forms(files: Iterable[ParsedFile], group: str, app: str) -> None:
    """Raise for the first ``:tag`` marker of ``group:app`` that holds a full reference (before any change)."""
    for parsed in files:
        for marker in wrong_forms(parsed.markers):
            if (marker.namespace, marker.name) == (group, app):
                where = f"{parsed.rel}:{marker.line}"
                raise ManifestError(wrong_form_message(marker, where), file=parsed.rel, line=marker.line)
