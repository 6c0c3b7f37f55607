"""Container image references (``registry:port/path/name:tag@digest``) and the tag/digest grammars."""

from __future__ import annotations

import re
from dataclasses import dataclass

from gitops_promotion.errors import UsageError

# Docker's tag grammar: https://github.com/distribution/reference (tag := [\w][\w.-]{0,127}).
_TAG = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}")
_DIGEST = re.compile(r"sha256:[0-9a-f]{64}")


@dataclass(frozen=True)
class ImageRef:
    """An image reference split into name (registry, port and path included), tag and digest."""

    name: str
    tag: str | None = None
    digest: str | None = None

    def __str__(self) -> str:
        return format_image_ref(self)


def parse_image_ref(value: str) -> ImageRef:
    """Split ``value``; the tag is the part after the last ``:`` that follows the last ``/`` (not a port)."""
    name, _, digest = value.partition("@")
    slash = name.rfind("/")
    colon = name.rfind(":")
    tag: str | None = None
    if colon > slash:
        name, tag = name[:colon], name[colon + 1 :]
    return ImageRef(name=name, tag=tag or None, digest=digest or None)


def format_image_ref(ref: ImageRef) -> str:
    """The inverse of :func:`parse_image_ref`."""
    out = ref.name
    if ref.tag:
        out += f":{ref.tag}"
    if ref.digest:
        out += f"@{ref.digest}"
    return out


def with_tag(value: str, tag: str, digest: str | None) -> str:
    """``value`` with its tag replaced; its digest replaced by ``digest``, or dropped as stale when None."""
    ref = parse_image_ref(value)
    return format_image_ref(ImageRef(name=ref.name, tag=tag, digest=digest))


def validate_tag(tag: str) -> str:
    """Check ``tag`` against Docker's tag grammar; return it unchanged."""
    if not _TAG.fullmatch(tag):
        msg = f"--tag {tag!r} is not a valid image tag ([A-Za-z0-9_][A-Za-z0-9_.-]{{0,127}})"
        raise UsageError(msg)
    return tag


def validate_digest(digest: str) -> str:
    """Check ``digest`` is ``sha256:`` and 64 lowercase hex digits; return it unchanged."""
    if not _DIGEST.fullmatch(digest):
        msg = f"--digest {digest!r} is not a valid digest (sha256: followed by 64 lowercase hex digits)"
        raise UsageError(msg)
    return digest
