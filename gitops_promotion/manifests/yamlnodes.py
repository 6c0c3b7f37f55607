"""Compose YAML text into nodes with character offsets, and index what the marker logic needs.

libyaml (ruamel.yaml.clib) is the fast path; ruamel's pure-Python parser is the reference: a document libyaml
rejects is parsed again by it (libyaml refuses e.g. ``:`` inside plain scalars in flow collections, which YAML
1.2 allows), so only text ruamel itself rejects is an error.
"""

from __future__ import annotations

import re
import warnings
from bisect import bisect_right
from dataclasses import dataclass
from typing import Any

from gitops_promotion.errors import ManifestError

BLOCK_STYLES = ("|", ">")
MERGE_KEY = "<<"
_BREAK = re.compile(r"\r\n?|\n")


class Lines:
    """Line numbers of character offsets; YAML line breaks are LF, CRLF and a lone CR."""

    def __init__(self, text: str) -> None:
        self.text = text
        # Most manifests have LF endings: count on demand instead of building a table for every file.
        self._starts = [0, *(m.end() for m in _BREAK.finditer(text))] if "\r" in text else None

    def line_of(self, offset: int) -> int:
        """1-based line of ``offset``."""
        if self._starts is None:
            return self.text.count("\n", 0, offset) + 1
        return bisect_right(self._starts, offset)

    def start_of(self, offset: int) -> int:
        """Offset of the first character of ``offset``'s line."""
        if self._starts is None:
            return self.text.rfind("\n", 0, offset) + 1
        return self._starts[bisect_right(self._starts, offset) - 1]

    def end_of(self, offset: int) -> int:
        """Offset of the line break ending ``offset``'s line (or the end of the text)."""
        ends = [i for i in (self.text.find("\n", offset), self.text.find("\r", offset)) if i >= 0]
        return min(ends) if ends else len(self.text)


@dataclass
class Scalar:
    """A scalar near a marker: ``start``/``end`` are character offsets of the value itself."""

    start: int  # first character of the scalar token (after any tag or anchor)
    end: int
    value: str
    style: str  # "" plain, '"', "'", "|", ">"
    key_of: Any  # the value node when this scalar is a mapping key, else None
    in_flow: bool


@dataclass
class NodeIndex:
    """The nodes of a file, gathered in one walk; ``scalars_on`` builds :class:`Scalar` views on demand."""

    text: str
    scalars: list[Any]
    keys: dict[int, Any]  # id(key node) -> its value node
    others: list[tuple[int, str]]  # where non-scalar nodes start: (offset, "a mapping" | "a block scalar"...)
    flows: list[tuple[int, int]]  # spans of flow collections

    def scalars_on(self, line_start: int, line_end: int) -> list[Scalar]:
        """Scalars overlapping ``[line_start, line_end]``, in text order."""
        views = [
            self._view(node)
            for node in self.scalars
            if node.start_mark.index <= line_end and node.end_mark.index >= line_start
        ]
        views.sort(key=lambda s: s.start)
        return views

    def _view(self, node: Any) -> Scalar:
        text = self.text
        start, end = node.start_mark.index, node.end_mark.index
        style = node.style or ""
        # A start mark sits on the tag or anchor when there is one; properties are whitespace-separated tokens
        # before the value, so skip them to find the value's first character.
        while start < end and text[start] in "!&":
            while start < end and text[start] not in " \t\r\n":
                start += 1
            while start < end and text[start] in " \t\r\n":
                start += 1
        if style in BLOCK_STYLES:
            # Content starts on the line after the header; a comment on the header line is not content.
            newline = text.find("\n", start, end)
            start = end if newline < 0 else newline + 1
        in_flow = any(fs <= start < fe for fs, fe in self.flows)
        return Scalar(start, end, node.value, style, self.keys.get(id(node)), in_flow)

    def next_scalar_start(self, offset: int) -> int:
        """Where the first scalar at or after ``offset`` starts (a large number when none does)."""
        starts = [node.start_mark.index for node in self.scalars if node.start_mark.index >= offset]
        return min(starts, default=1 << 62)


def compose(text: str, rel: str, lines: Lines) -> list[Any]:
    """All documents of ``text`` as ruamel nodes; ManifestError ``rel:line: invalid YAML: ...`` if invalid."""
    try:
        return _compose_c(text)
    except Exception:  # libyaml missing or refusing the text: its verdict is only a fast path, ruamel decides
        return _compose_pure(text, rel, lines)


def _compose_c(text: str) -> list[Any]:
    from ruamel.yaml.cyaml import CBaseLoader

    loader = CBaseLoader(text)
    try:
        docs = []
        while loader.check_node():
            docs.append(loader.get_node())
        return docs
    finally:
        loader.dispose()


def _compose_pure(text: str, rel: str, lines: Lines) -> list[Any]:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe", pure=True)
    try:
        with warnings.catch_warnings():
            # ruamel warns (not raises) on e.g. re-used anchors; the file is still well-formed YAML.
            warnings.simplefilter("ignore")
            return list(yaml.compose_all(text))
    except YAMLError as exc:
        line = _error_line(exc, lines)
        problem = getattr(exc, "problem", None) or getattr(exc, "reason", None) or type(exc).__name__
        msg = f"{rel}:{line}: invalid YAML: {_one_line(str(problem))}"
        raise ManifestError(msg, file=rel, line=line) from None
    except (RecursionError, ValueError) as exc:
        msg = f"{rel}:1: invalid YAML: {type(exc).__name__}: {_one_line(str(exc))}"
        raise ManifestError(msg, file=rel, line=1) from None


def _error_line(exc: Exception, lines: Lines) -> int:
    mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
    index = getattr(mark, "index", None)
    if isinstance(index, int):
        return lines.line_of(index)
    position = getattr(exc, "position", None)  # ReaderError: a character offset
    return lines.line_of(position) if isinstance(position, int) else 1


def _one_line(text: str) -> str:
    return " ".join(text.split())[:200]


def index_nodes(docs: list[Any], text: str, rel: str, lines: Lines) -> NodeIndex:
    """Walk the documents once: gather scalars, keys and collections; reject duplicate mapping keys."""
    scalars: list[Any] = []
    keys: dict[int, Any] = {}
    others: list[tuple[int, str]] = []
    flows: list[tuple[int, int]] = []
    seen: set[int] = set()  # collections only: an alias may point back into its own anchor (a cycle)
    stack = list(docs)
    while stack:
        node = stack.pop()
        kind = node.id
        if kind == "scalar":
            scalars.append(node)
            if node.style in BLOCK_STYLES:
                others.append((node.start_mark.index, "a block scalar"))
            continue
        if id(node) in seen:
            continue
        seen.add(id(node))
        others.append((node.start_mark.index, f"a {kind}"))
        if node.flow_style:
            flows.append((node.start_mark.index, node.end_mark.index))
        if kind == "sequence":
            stack.extend(node.value)
            continue
        names: set[str] = set()
        for key, value in node.value:
            stack.append(value)
            if key.id != "scalar":
                stack.append(key)
                continue
            scalars.append(key)
            keys[id(key)] = value
            name = key.value
            if name in names and name != MERGE_KEY:
                line = lines.line_of(key.start_mark.index)
                msg = f"{rel}:{line}: duplicate key {name!r}"
                raise ManifestError(msg, file=rel, line=line)
            names.add(name)
    others.sort()
    return NodeIndex(text, scalars, keys, others, flows)
