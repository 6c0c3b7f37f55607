"""Property tests: generated manifests with a marker, and arbitrary bytes.

For any generated manifest (random keys, values, quoting, indentation, comments, CRLF) the edit changes only
the marked scalar, and the file still loads to the same data apart from that one value. On arbitrary input the
engine raises nothing but PromotionError subclasses.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from gitops_promotion.errors import ManifestError, PromotionError
from gitops_promotion.manifests import markers_in_bytes, plan_edits
from gitops_promotion.manifests.forms import holds_full_reference
from gitops_promotion.manifests.images import with_tag

MARK_TAG = '# {"$imagepolicy": "apps:podinfo:tag"}'
MARK_FULL = '# {"$imagepolicy": "apps:podinfo"}'
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class Scalar:
    value: str
    style: str  # "plain" | "double" | "single"
    marked: bool = False


@dataclass
class Map:
    items: list[tuple[str, Any]]


@dataclass
class Seq:
    items: list[Any]


@dataclass
class FlowMap:
    items: list[tuple[str, Scalar]]


keys = st.from_regex(r"[a-z][a-z0-9_-]{0,8}", fullmatch=True)
plain_values = st.one_of(
    st.from_regex(r"[a-z][a-z0-9._/-]{0,12}", fullmatch=True),
    st.from_regex(r"[0-9][0-9.]{0,5}", fullmatch=True),
)
quoted_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc", "Zl", "Zp"), blacklist_characters="\ufeff\x85"),
    max_size=12,
)
scalars = st.one_of(
    st.builds(Scalar, plain_values, st.just("plain")),
    st.builds(Scalar, quoted_text, st.just("double")),
    st.builds(Scalar, quoted_text, st.just("single")),
)


def _unique(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    return list(dict(pairs).items())


flow_maps = st.lists(st.tuples(keys, scalars), min_size=1, max_size=3).map(lambda p: FlowMap(_unique(p)))
nodes = st.recursive(
    st.one_of(scalars, flow_maps),
    lambda children: st.one_of(
        st.lists(st.tuples(keys, children), min_size=1, max_size=4).map(lambda p: Map(_unique(p))),
        st.lists(children, min_size=1, max_size=3).map(Seq),
    ),
    max_leaves=12,
)
documents = st.lists(st.tuples(keys, nodes), min_size=1, max_size=4).map(lambda p: Map(_unique(p)))
image_refs = st.from_regex(r"[a-z0-9]+(\.[a-z]+)?(:[0-9]{2,5})?(/[a-z0-9]+){1,2}(:[a-z0-9.]{1,6})?", fullmatch=True)
tags = st.one_of(
    st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True),
    st.sampled_from(["1234", "1e3", "true", "null", "0x1F", "1_000", "1.0", "0755", "on", "y", "2024-01-01"]),
)


def _leaves(node: Any) -> list[Scalar]:
    """Scalars a marker can sit behind: block values, sequence items, the last value of a flow mapping."""
    if isinstance(node, Scalar):
        return [node]
    if isinstance(node, FlowMap):
        return [node.items[-1][1]]
    children = [v for _, v in node.items] if isinstance(node, Map) else node.items
    return [leaf for child in children for leaf in _leaves(child)]


def _scalar_text(s: Scalar, ascii_only: bool) -> str:
    if s.style == "plain":
        return s.value
    if s.style == "double":
        return json.dumps(s.value, ensure_ascii=ascii_only)
    return "'" + s.value.replace("'", "''") + "'"


@dataclass
class Renderer:
    indent: int
    ascii_only: bool
    comments: list[bool]
    marker: str
    lines: list[str] = field(default_factory=list)
    span: tuple[int, int, int] | None = None  # (line index, column start, column end) of the marked scalar
    in_flow: bool = False

    def _comment(self) -> str:
        use = self.comments[len(self.lines) % len(self.comments)]
        return "  # note: x: {y} - 'z'" if use else ""

    def _inline(self, prefix: str, node: Scalar | FlowMap) -> None:
        if isinstance(node, Scalar):
            text = _scalar_text(node, self.ascii_only)
            marked = node.marked
            start = len(prefix)
            line = prefix + text
        else:
            parts = []
            line = prefix + "{"
            marked, start = False, 0
            for i, (key, value) in enumerate(node.items):
                line += f"{key}: "
                if value.marked:
                    marked, start = True, len(line)
                text = _scalar_text(value, self.ascii_only)
                line += text
                parts.append(text)
                line += ", " if i < len(node.items) - 1 else ""
            line += "}"
        if marked:
            self.in_flow = isinstance(node, FlowMap)
            end = start + len(text)
            self.span = (len(self.lines), start, end)
            self.lines.append(f"{line} {self.marker}")
        else:
            self.lines.append(line + self._comment())

    def block(self, node: Any, depth: int) -> None:
        pad = " " * (self.indent * depth)
        if isinstance(node, Map):
            for key, value in node.items:
                if isinstance(value, (Scalar, FlowMap)):
                    self._inline(f"{pad}{key}: ", value)
                else:
                    self.lines.append(f"{pad}{key}:" + self._comment())
                    self.block(value, depth + 1)
        else:
            for item in node.items:
                if isinstance(item, (Scalar, FlowMap)):
                    self._inline(f"{pad}- ", item)
                else:
                    self.lines.append(f"{pad}-" + self._comment())
                    self.block(item, depth + 1)


def _load_all(data: bytes) -> list[Any]:
    return list(YAML(typ="safe", pure=True).load_all(data.decode("utf-8-sig")))


@given(
    doc=documents,
    choice=st.integers(min_value=0),
    indent=st.sampled_from([2, 4]),
    crlf=st.booleans(),
    ascii_only=st.booleans(),
    comments=st.lists(st.booleans(), min_size=1, max_size=5),
    full=st.booleans(),
    ref=image_refs,
    tag=tags,
    header=st.sampled_from(["", "---\n", "# leading comment\n---\n", "\ufeff"]),
)
@pytest.mark.slow
@SETTINGS
def test_edit_changes_only_the_marked_scalar(
    *,
    doc: Map,
    choice: int,
    indent: int,
    crlf: bool,
    ascii_only: bool,
    comments: list[bool],
    full: bool,
    ref: str,
    tag: str,
    header: str,
) -> None:
    leaves = _leaves(doc)
    leaf = leaves[choice % len(leaves)]
    leaf.marked = True
    if full:
        leaf.value = ref
    renderer = Renderer(indent=indent, ascii_only=ascii_only, comments=comments, marker=MARK_FULL if full else MARK_TAG)
    renderer.block(doc, 0)
    assert renderer.span is not None
    newline = "\r\n" if crlf else "\n"
    text = header + newline.join(renderer.lines) + newline
    line_no, col_start, col_end = renderer.span
    head = header + "".join(line + newline for line in renderer.lines[:line_no])
    before = text.encode()
    prefix = (head + renderer.lines[line_no][:col_start]).encode()
    suffix = text[len(head) + col_end :].encode()
    expected_value = with_tag(ref, tag, None) if full else tag

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "m.yaml").write_bytes(before)
        if not full and holds_full_reference(markers_in_bytes(before, Path("m.yaml"))[0]):
            # a `:tag` marker on what reads as a whole image reference is refused (issue 14), nothing planned
            with pytest.raises(ManifestError, match=r"^m\.yaml:\d+: .* marks the full image reference"):
                plan_edits([root], repo_root=root, group="apps", app="podinfo", tag=tag)
            event("a :tag marker on a full reference refused")
            return
        edits = plan_edits([root], repo_root=root, group="apps", app="podinfo", tag=tag)

    if leaf.value == expected_value:
        event("value already matched")
        assert edits == []
        return
    event(f"edited a {leaf.style} scalar" + (" in a flow mapping" if renderer.in_flow else ""))
    assert len(edits) == 1
    after = edits[0].after
    assert after.startswith(prefix)
    assert after.endswith(suffix)
    middle = after[len(prefix) : len(after) - len(suffix)].decode()
    assert "\n" not in middle and "\r" not in middle and "#" not in middle
    quote = {"double": '"', "single": "'", "plain": ""}[leaf.style]
    if quote:
        assert middle.startswith(quote) and middle.endswith(quote), "the quoting style is kept"
    else:
        assert middle in (expected_value, f'"{expected_value}"'), "plain unless it would not read back"

    markers = markers_in_bytes(after, Path("m.yaml"))
    assert [m.value for m in markers] == [expected_value]

    # The data is the same apart from the marked value, which now loads as the new string.
    leaf_before = leaf.value
    leaf.value, leaf.style = expected_value, "double"
    again = Renderer(indent=indent, ascii_only=ascii_only, comments=comments, marker=renderer.marker)
    again.block(doc, 0)
    reference = (header + newline.join(again.lines) + newline).encode()
    leaf.value = leaf_before
    assert _load_all(after) == _load_all(reference)


yamlish = st.text(alphabet=list(" \t\n\r:-?[]{},#&*!|>'\"%@`~abc123\\.\u00e9\ufeff\x00"), max_size=80)


@given(head=yamlish, tail=yamlish, value=st.sampled_from(["apps:podinfo", "apps:podinfo:tag", "x", "a:b:c:d"]))
@SETTINGS
def test_yamlish_text_only_raises_promotion_errors(head: str, tail: str, value: str) -> None:
    data = f'{head} # {{"$imagepolicy": "{value}"}}{tail}'.encode()
    _engine_on(data)


@given(head=st.binary(max_size=200), tail=st.binary(max_size=200))
@SETTINGS
def test_arbitrary_bytes_only_raise_promotion_errors(head: bytes, tail: bytes) -> None:
    _engine_on(head + b' # {"$imagepolicy": "apps:podinfo"}' + tail)


def _engine_on(data: bytes) -> None:
    try:
        markers_in_bytes(data, Path("x.yaml"))
    except PromotionError:
        event("rejected")
        return
    event("accepted")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "x.yaml").write_bytes(data)
        try:
            plan_edits([root], repo_root=root, group="apps", app="podinfo", tag="1.2.3")
        except PromotionError:
            return
