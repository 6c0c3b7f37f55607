"""Flux image-policy markers: find ``# {"$imagepolicy": "ns:name[:field]"}`` comments and their scalars.

The rules follow Flux (DESIGN 3): the comment, after its leading ``#``s and spaces, must be exactly a JSON
object with the one key ``$imagepolicy``; it applies to the scalar that ends on its line just before it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from gitops_promotion.errors import ManifestError
from gitops_promotion.flux import MARKER_TEXT, MARKER_TOKEN
from gitops_promotion.manifests.yamlnodes import BLOCK_STYLES, Lines, NodeIndex, Scalar, compose, index_nodes

MAX_BYTES = 8 * 1024 * 1024  # a manifest is kilobytes; past this it is not something we should rewrite
BOM = b"\xef\xbb\xbf"
MarkerField = Literal["full", "tag", "name", "digest"]
_SUFFIX_FIELDS: dict[str, MarkerField] = {"tag": "tag", "name": "name", "digest": "digest"}
_NAME = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")
_ALIAS_END = re.compile(r"\*[^\s,\[\]{}]+$")


@dataclass(frozen=True)
class Marker:
    """One ``# {"$imagepolicy": "ns:name[:field]"}`` occurrence and the current value of its scalar."""

    path: Path
    line: int  # 1-based
    namespace: str
    name: str
    field: MarkerField  # "full" is a bare "ns:name": the scalar holds a whole image reference
    value: str

    @property
    def policy(self) -> str:
        """``ns:name``, how Flux names the ImagePolicy (and how we name group:app)."""
        return f"{self.namespace}:{self.name}"


@dataclass(frozen=True)
class MarkerSite:
    """A marker and the characters of its scalar in the decoded text (for the editor)."""

    marker: Marker
    start: int
    end: int
    style: str  # "" plain, '"' or "'"
    in_flow: bool


@dataclass(frozen=True)
class ParsedFile:
    """A candidate file: its bytes, decoded text (without BOM) and marker sites."""

    path: Path
    rel: str
    data: bytes
    text: str
    bom: bool
    sites: tuple[MarkerSite, ...]

    @property
    def markers(self) -> list[Marker]:
        return [site.marker for site in self.sites]


def markers_in_bytes(data: bytes, path: Path) -> list[Marker]:
    """The markers in ``data`` (a file's content, e.g. from ``git show rev:path``); errors name ``path``."""
    return parse_file(data, path, str(path)).markers


def parse_file(data: bytes, path: Path, rel: str) -> ParsedFile:
    """Decode and validate ``data`` and locate its markers; ``rel`` is the name used in error messages."""
    if MARKER_TOKEN not in data:  # never parse a file without markers (DESIGN 7)
        return ParsedFile(path, rel, data, "", data.startswith(BOM), ())
    text, bom = decode(data, rel)
    lines = Lines(text)
    index = index_nodes(compose(text, rel, lines), text, rel, lines)
    sites: list[MarkerSite] = []
    done_until = -1
    at = text.find(MARKER_TEXT)
    while at >= 0:
        if at > done_until:  # one marker per line: skip further tokens on a line already looked at
            start, done_until = lines.start_of(at), lines.end_of(at)
            site = _marker_on_line(index, lines, line_start=start, line_end=done_until, path=path, rel=rel)
            if site is not None:
                sites.append(site)
        at = text.find(MARKER_TEXT, at + len(MARKER_TEXT))
    return ParsedFile(path, rel, data, text, bom, tuple(sites))


def decode(data: bytes, rel: str) -> tuple[str, bool]:
    """UTF-8 text of a candidate (BOM stripped, reported separately); binary or huge files are errors."""
    if len(data) > MAX_BYTES:
        msg = f"{rel}:1: file is too large to edit ({len(data)} bytes, limit {MAX_BYTES})"
        raise ManifestError(msg, file=rel, line=1)
    nul = data.find(b"\0")
    if nul >= 0:
        line = data.count(b"\n", 0, nul) + 1
        msg = f"{rel}:{line}: binary file (NUL byte) contains {MARKER_TEXT}; not a YAML manifest"
        raise ManifestError(msg, file=rel, line=line)
    bom = data.startswith(BOM)
    try:
        text = data[3:].decode() if bom else data.decode()
    except UnicodeDecodeError as exc:
        offset = exc.start + (3 if bom else 0)
        line = data.count(b"\n", 0, offset) + 1
        msg = f"{rel}:{line}: not UTF-8 (invalid byte at offset {offset}); manifests must be UTF-8"
        raise ManifestError(msg, file=rel, line=line) from None
    return text, bom


def _marker_on_line(
    index: NodeIndex, lines: Lines, *, line_start: int, line_end: int, path: Path, rel: str
) -> MarkerSite | None:
    text = index.text
    near = index.scalars_on(line_start, line_end)
    hash_at = _comment_start(text, near, line_start, line_end)
    if hash_at < 0:
        return None  # the token is inside a scalar, not in a comment
    line = lines.line_of(hash_at)
    policy = _parse_marker_comment(text[hash_at:line_end], rel, line)
    if policy is None:
        return None
    namespace, name, field = policy
    scalar = _marked_scalar(index, near, line_start=line_start, hash_at=hash_at, rel=rel, line=line)
    if scalar is None:
        return None  # a comment on a line of its own: Flux reads it as the next node's head comment
    marker = Marker(path=path, line=line, namespace=namespace, name=name, field=field, value=scalar.value)
    return MarkerSite(marker, scalar.start, scalar.end, scalar.style, scalar.in_flow)


def _comment_start(text: str, near: list[Scalar], line_start: int, line_end: int) -> int:
    """Offset of the ``#`` that starts this line's comment, or -1 (a ``#`` inside a scalar is content)."""
    at = text.find("#", line_start, line_end)
    while at >= 0:
        if (at == line_start or text[at - 1] in " \t") and not any(s.start <= at < s.end for s in near):
            return at
        at = text.find("#", at + 1, line_end)
    return -1


def _parse_marker_comment(comment: str, rel: str, line: int) -> tuple[str, str, MarkerField] | None:
    """``(ns, name, field)`` when the comment is exactly a marker; None when it is any other comment."""
    body = comment.lstrip("# \t").rstrip(" \t")
    if not (body.startswith("{") and body.endswith("}")) or MARKER_TEXT not in body:
        return None
    import json

    try:
        obj = json.loads(body)
    except (ValueError, RecursionError):
        return None
    if not isinstance(obj, dict) or list(obj) != ["$imagepolicy"] or not isinstance(obj["$imagepolicy"], str):
        return None
    ref: str = obj["$imagepolicy"]
    parts = ref.split(":")
    field: MarkerField | None = None
    if len(parts) == 2:
        field = "full"
    elif len(parts) == 3 and parts[2] in _SUFFIX_FIELDS:
        field = _SUFFIX_FIELDS[parts[2]]
    if field is None or not all(_NAME.fullmatch(part) for part in parts[:2]):
        msg = (
            f"{rel}:{line}: invalid $imagepolicy reference {ref!r} "
            "(expected <namespace>:<name> or <namespace>:<name>:tag|name|digest)"
        )
        raise ManifestError(msg, file=rel, line=line)
    return parts[0], parts[1], field


def _marked_scalar(
    index: NodeIndex, near: list[Scalar], *, line_start: int, hash_at: int, rel: str, line: int
) -> Scalar | None:
    """The scalar ending last on the line before the comment; an error when the marker is on anything else."""
    best: Scalar | None = None
    for scalar in near:
        if (
            line_start <= scalar.end <= hash_at
            and scalar.style not in BLOCK_STYLES
            and (best is None or scalar.end > best.end)
        ):
            best = scalar
    if best is not None:
        what = _not_editable(best)
        if what is None:
            return best
    else:
        prefix = index.text[line_start:hash_at].strip()
        if prefix in ("", "---", "..."):
            return None
        what = _what_follows(index, prefix, line_start, hash_at)
    msg = f"{rel}:{line}: $imagepolicy marker on {what}; it must follow a scalar value on the same line"
    raise ManifestError(msg, file=rel, line=line)


def _not_editable(scalar: Scalar) -> str | None:
    """Why the marker cannot apply to ``scalar`` (a key whose value is elsewhere, an empty value), or None."""
    if scalar.key_of is None:
        return "an empty value" if scalar.value == "" and scalar.style == "" else None
    value = scalar.key_of
    if value.id == "scalar":
        if value.style in BLOCK_STYLES:
            return "a block scalar"
        if value.value == "" and not value.style:
            return "an empty value"
        if value.start_mark.index < scalar.end:
            return "an alias"
        return f"the key {scalar.value!r} whose value is on a later line"
    return f"a {value.id}"


def _what_follows(index: NodeIndex, prefix: str, line_start: int, hash_at: int) -> str:
    if _ALIAS_END.search(prefix):
        return "an alias"
    if prefix[-1] in "-:?":
        # `- # {...}` or `key: # {...}`: the marked node is whatever comes next, if it is a collection.
        next_scalar = index.next_scalar_start(hash_at)
        following = [what for start, what in index.others if hash_at <= start <= next_scalar]
        if following:
            return following[0]
    on_line = [what for start, what in index.others if line_start <= start < hash_at]
    if on_line:
        return on_line[-1]  # the innermost, e.g. `- [] # {...}`
    return "something that is not a scalar value"
