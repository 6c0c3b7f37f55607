"""Which candidate files a promotion of one app must parse in full (issue 17).

A full parse composes the YAML to find the scalar each marker belongs to; a repository holds hundreds of marker
files and a promotion edits a few. Every candidate is still decoded (UTF-8, no NUL, size) and each of its
marker comments is checked to be well-formed; only files that may hold the target's marker are composed.
"""

from __future__ import annotations

import re

from gitops_promotion.errors import ManifestError
from gitops_promotion.flux import MARKER_TEXT, MARKER_TOKEN
from gitops_promotion.manifests.markers import _parse_marker_comment, decode

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"  # markers._NAME
# A line ending in the marker comment as Flux writes it, whose only '#'s are that comment's leading ones: the
# general path would read exactly this policy from it (and nothing else), so it is read here without json.
_CANONICAL = re.compile(
    rf'(?:[^#]*[ \t])?#[# \t]*\{{"\$imagepolicy": "({_NAME}):({_NAME})(?::(?:tag|name|digest))?"\}}[ \t]*\r*'
)


def may_target(data: bytes, rel: str, group: str, app: str) -> bool:
    """False only when no marker comment in ``data`` can name ``group:app`` (decoding errors raise as in a parse).

    Without the YAML, a ``#`` inside a quoted scalar looks like a comment start, so every ``#`` before the token
    on its line is tried; a comment that names the target, or that a parse would reject, needs the full parse
    (which then decides, with the same message as before).
    """
    if MARKER_TOKEN not in data:
        return False
    text, _bom = decode(data, rel)
    canonical = _CANONICAL.fullmatch
    at = text.find(MARKER_TEXT)
    while at >= 0:
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        match = canonical(text, start, end)
        if match is not None:
            if match[1] == group and match[2] == app:
                return True
        elif _line_may_target(text[start:end], rel, group, app):
            return True
        at = text.find(MARKER_TEXT, end)
    return False


def _line_may_target(line: str, rel: str, group: str, app: str) -> bool:
    hash_at = line.find("#")
    while hash_at >= 0:
        if hash_at == 0 or line[hash_at - 1] in " \t":
            try:
                policy = _parse_marker_comment(line[hash_at:].rstrip("\r"), rel, 0)
            except ManifestError:
                return True
            if policy is not None and policy[:2] == (group, app):
                return True
        hash_at = line.find("#", hash_at + 1)
    return False
