"""Mutation fuzzing of the manifest engine, complementing tests/manifests/test_properties.py (which generates
well-formed documents): real-world manifests are corrupted byte by byte and line by line, and marker comments are
mangled. Whatever comes in, the engine raises nothing but PromotionError subclasses, and when it does edit, no
byte outside the target scalars changes, other markers keep their values, and a second run changes nothing.

atheris was considered and left out: its coverage guidance pays off over long native-speed campaigns, which a
test suite cannot host, and the engine is pure Python over ruamel.yaml, whose input space the structured
mutations below reach within seconds (see the ``event`` statistics with ``--hypothesis-show-statistics``).
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gitops_promotion.errors import PromotionError
from gitops_promotion.manifests import markers_in_bytes, plan_edits

# A longer campaign: GITOPS_PROMOTION_FUZZ_EXAMPLES=20000 pytest tests/reliability/test_fuzz_manifests.py
EXAMPLES = int(os.environ.get("GITOPS_PROMOTION_FUZZ_EXAMPLES", "250"))
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
GROUP, APP, TAG = "apps", "podinfo", "7.1.0"

CORPUS = [
    # Deployment: full image refs for the target and another app, a digest, a quoted value.
    b"""apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo # keep
spec:
  template:
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.4.0 # {"$imagepolicy": "apps:podinfo"}
        - name: sidecar
          image: "registry.local:5000/tools/sidecar:1.0@DIGEST" # {"$imagepolicy": "apps:sidecar"}
""".replace(b"DIGEST", b"sha256:" + b"0123456789abcdef" * 4),
    # kustomization images: name and tag markers, single-quoted tag, CRLF line ends.
    b"apiVersion: kustomize.config.k8s.io/v1beta1\r\nkind: Kustomization\r\nimages:\r\n"
    b'  - name: podinfo\r\n    newName: ghcr.io/stefanprodan/podinfo # {"$imagepolicy": "apps:podinfo:name"}\r\n'
    b'    newTag: \'6.4.0\' # {"$imagepolicy": "apps:podinfo:tag"}\r\n'
    b'  - name: other\r\n    newTag: 1.2.3 # {"$imagepolicy": "apps:other:tag"}\r\n',
    # HelmRelease values in a flow mapping, a BOM, two documents, a block scalar and an anchor.
    b"\xef\xbb\xbf---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  values:\n"
    b'    image: {repository: ghcr.io/stefanprodan/podinfo, tag: "6.4.0"} # {"$imagepolicy": "apps:podinfo:tag"}\n'
    b'    notes: |\n      image: podinfo:1 # {"$imagepolicy": "apps:podinfo"}\n'
    b"    base: &b x\n    copy: *b\n---\nkind: ConfigMap\ndata:\n"
    b'  tag: "1.0" # {"$imagepolicy": "apps:podinfo:tag"}\n',
    # Kustomization named file content with comments only around markers.
    b'# {"$imagepolicy": "apps:podinfo"}\nimages:\n  - newTag: v1 #{"$imagepolicy":"apps:podinfo:tag"}\n',
]

_MUTATIONS = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.binary(min_size=1, max_size=8)),
    st.tuples(
        st.just("insert"),
        st.integers(0, 10_000),
        st.sampled_from(
            [
                b"#",
                b"'",
                b'"',
                b":",
                b"- ",
                b"\n",
                b"\r\n",
                b"  ",
                b"\t",
                b"{",
                b"}",
                b"[",
                b"]",
                b"&a ",
                b"*a",
                b"|\n",
                b"---\n",
                b"@sha256:",
                b"\\",
                b"\x00",
                b"\xff",
                b"\xc3\xa9",
                b'"$imagepolicy"',
            ]
        ),
    ),
    st.tuples(st.just("delete"), st.integers(0, 10_000), st.integers(1, 12)),
    st.tuples(st.just("dup_line"), st.integers(0, 200), st.just(0)),
    st.tuples(st.just("swap_lines"), st.integers(0, 200), st.integers(0, 200)),
)


def mutate(data: bytes, ops: list[tuple[str, int, object]]) -> bytes:
    """Apply insert/delete/duplicate/swap operations (positions wrap around the current length)."""
    for op, at, arg in ops:
        if op == "insert":
            pos = at % (len(data) + 1)
            data = data[:pos] + arg + data[pos:]  # type: ignore[operator] # bytes by construction
        elif op == "delete" and data:
            pos = at % len(data)
            data = data[:pos] + data[pos + int(arg) :]  # type: ignore[call-overload] # int by construction
        else:
            lines = data.splitlines(keepends=True)
            if not lines:
                continue
            i = at % len(lines)
            if op == "dup_line":
                lines.insert(i, lines[i])
            else:
                j = int(arg) % len(lines)  # type: ignore[call-overload] # int by construction
                lines[i], lines[j] = lines[j], lines[i]
            data = b"".join(lines)
    return data


def _plan(data: bytes, tag: str = TAG, digest: str | None = None) -> tuple[list[bytes], bytes] | None:
    """(edited bytes per file, original) or None when the engine refused the input with a PromotionError."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "m.yaml").write_bytes(data)
        try:
            edits = plan_edits([root], repo_root=root, group=GROUP, app=APP, tag=tag, digest=digest)
        except PromotionError:
            return None
    return [edit.after for edit in edits], data


def _line_starts(data: bytes) -> list[int]:
    """Offsets where lines start; YAML breaks lines at CRLF, CR and LF alike."""
    return [0, *(match.end() for match in re.finditer(rb"\r\n|\r|\n", data))]


def check_confined(before: bytes, after: bytes) -> None:
    """Other markers keep their values; every changed byte lies before a target marker's comment, on or above
    its line, never inside any marker comment; and the YAML data differs only in the target values."""
    old = markers_in_bytes(before, Path("m.yaml"))
    new = markers_in_bytes(after, Path("m.yaml"))
    assert [(m.policy, m.field) for m in old] == [(m.policy, m.field) for m in new]
    targets = {}
    for was, now in zip(old, new, strict=True):
        if was.policy != f"{GROUP}:{APP}" or was.field == "name":
            assert now.value == was.value, f"marker {was.policy} on line {was.line} changed"
            continue
        if was.field == "tag":
            assert now.value == TAG
        elif was.field == "full":
            assert now.value.endswith(f":{TAG}") or f":{TAG}@" in now.value, now.value
        targets[was.value] = now.value
    starts = _line_starts(before)
    comments = []  # (start, end) of every marker comment in ``before``, in order
    for marker in old:
        line_start = starts[marker.line - 1]
        line_end = starts[marker.line] if marker.line < len(starts) else len(before)
        # The comment's '#' is the last one before the line's last token (an earlier token may sit in the value).
        hash_at = before.rindex(b"#", line_start, before.rindex(b'"$imagepolicy"', line_start, line_end))
        is_target = marker.policy == f"{GROUP}:{APP}" and marker.field in ("tag", "full")
        comments.append((hash_at, line_end, is_target))
    # Walk both texts target by target: up to each target's comment, ``after`` may differ from ``before`` only in
    # one stretch ending at that comment (the scalar); every marker comment and everything after the last target
    # is byte-identical.
    pb = pa = 0
    for hash_at, line_end, is_target in comments:
        if not is_target:
            continue
        same = 0
        while pb + same < hash_at and pa + same < len(after) and before[pb + same] == after[pa + same]:
            same += 1
        for other_start, other_end, _ in comments:
            if pb <= other_start < hash_at:
                assert pb + same >= other_end, "another marker comment changed"
        comment = before[hash_at:line_end]
        found = after.find(comment, pa + same)
        assert found >= 0, "a target marker comment changed"
        assert b"\n" not in after[pa + same : found].rstrip(b"\r"), "the new value spans lines"
        pb, pa = hash_at, found
    assert before[pb:] == after[pa:], "bytes after the last target changed"
    data_before, data_after = _load(before), _load(after)
    if data_before is None:  # the engine may accept what a plain load refuses (e.g. duplicate keys)
        return
    changed: list[tuple[object, object]] = []
    _differences(data_before, data_after, changed)
    assert len(changed) <= sum(1 for m in old if m.policy == f"{GROUP}:{APP}" and m.field != "name")
    for loaded_was, loaded_now in changed:
        assert any(
            _reads_as(loaded_was, old_text) and loaded_now == new_text for old_text, new_text in targets.items()
        ), f"the YAML data changed beyond the target values: {loaded_was!r} -> {loaded_now!r}"


def _load(data: bytes) -> list[object] | None:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return list(YAML(typ="safe", pure=True).load_all(data.decode("utf-8-sig")))
    except (YAMLError, ValueError, RecursionError):
        return None


def _differences(a: object, b: object, found: list[tuple[object, object]]) -> None:
    """Leaf pairs where ``a`` and ``b`` differ (walking both in step); a shape change counts as one pair."""
    if isinstance(a, dict) and isinstance(b, dict) and list(a) == list(b):
        for key in a:
            _differences(a[key], b[key], found)
    elif isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for x, y in zip(a, b, strict=True):
            _differences(x, y, found)
    elif type(a) is not type(b) or a != b:
        found.append((a, b))


def _reads_as(value: object, text: str) -> bool:
    """Whether a loaded scalar is what ``text`` reads as, quoted or plain (``1`` loads as an int)."""
    if isinstance(value, str):
        return value == text
    loaded = _load(text.encode())
    return loaded is not None and len(loaded) == 1 and type(loaded[0]) is type(value) and loaded[0] == value


@given(seed=st.sampled_from(range(len(CORPUS))), ops=st.lists(_MUTATIONS, max_size=6))
@SETTINGS
def test_mutated_manifests(seed: int, ops: list[tuple[str, int, object]]) -> None:
    data = mutate(CORPUS[seed], ops)
    planned = _plan(data)
    if planned is None:
        event("refused with a PromotionError")
        return
    afters, before = planned
    event("edited" if afters else "nothing to edit")
    for after in afters:
        check_confined(before, after)
        again = _plan(after)
        assert again is not None and again[0] == [], "a second run must find nothing to do"


_SPACES = st.text(alphabet=" ", max_size=3)
_HASHES = st.text(alphabet="#", min_size=1, max_size=3)
_KEYS = st.just('"$imagepolicy"') | st.sampled_from(
    ['"$imagePolicy"', '"imagepolicy"', '"$imagepolicy "', "'$imagepolicy'", '"\\u0024imagepolicy"']
)
_REFS = st.sampled_from(
    [
        "apps:podinfo",
        "apps:podinfo:tag",
        "apps:podinfo:name",
        "apps:podinfo:digest",
        "apps:podinfo:TAG",
        "apps:podinfo:tag:x",
        "apps",
        "apps/podinfo",
        ":podinfo",
        "apps:-x",
        "apps:pod info",
        "",
    ]
)
_EXTRA = st.just("") | st.sampled_from([', "x": 1', ', "$imagepolicy": "apps:other"'])
_TAIL = st.sampled_from(["", " "]) | st.sampled_from([" trailing", " # more", "}"])


@given(
    hashes=_HASHES,
    lead=_SPACES,
    inner=_SPACES,
    key=_KEYS,
    ref=_REFS,
    extra=_EXTRA,
    tail=_TAIL,
    value=st.sampled_from(["6.4.0", "'6.4.0'", '"6.4.0"', "ghcr.io/x/podinfo:6.4.0"]),
)
@SETTINGS
def test_mangled_marker_comments(
    *, hashes: str, lead: str, inner: str, key: str, ref: str, extra: str, tail: str, value: str
) -> None:
    """The engine treats a comment as a marker exactly when DESIGN 3 says Flux would."""
    comment = f"{hashes}{lead}{{{inner}{key}:{inner}{json.dumps(ref)}{extra}{inner}}}{tail}"
    data = f"image: {value} {comment}\nother: 1\n".encode()
    expected = _flux_reads(comment)
    try:
        markers = markers_in_bytes(data, Path("m.yaml"))
    except PromotionError as exc:
        event("invalid reference refused")
        assert expected == "invalid", (comment, exc.message)
        return
    if expected in (None, "invalid"):
        assert markers == [], comment
        event("not a marker")
        return
    assert [(m.policy, m.field) for m in markers] == [expected], comment
    event(f"marker {expected[1]}")
    # a `:digest` marker needs the new tag's digest (issue 14): give one, as `new` does after the registry
    digest = "sha256:" + "a" * 64
    planned = _plan(data, digest=digest if expected[1] == "digest" else None)
    if expected[0] != f"{GROUP}:{APP}":
        assert planned is None, "no marker for the app: the engine says so"
        return
    if expected[1] == "tag" and "/" in value:
        assert planned is None, "a :tag marker on a full image reference is refused"
        return
    assert planned is not None
    if expected[1] == "digest":
        assert [m.value for after in planned[0] for m in markers_in_bytes(after, Path("m.yaml"))] == [digest]
        return
    for after in planned[0]:
        check_confined(data, after)


def _flux_reads(comment: str) -> tuple[str, str] | str | None:
    """DESIGN 3, independently: after leading ``#``s and spaces the comment is exactly a JSON object whose only
    key is ``$imagepolicy`` (spelt literally) holding ``<ns>:<name>[:tag|:name|:digest]``. None: not a marker;
    "invalid": a marker whose reference is malformed (an error, so a typo is never silently ignored)."""
    if '"$imagepolicy"' not in comment:  # the literal token is what makes a file a candidate at all
        return None
    body = comment.lstrip("# ").rstrip(" ")
    try:
        obj = json.loads(body)
    except ValueError:
        return None
    if not isinstance(obj, dict) or list(obj) != ["$imagepolicy"] or not isinstance(obj["$imagepolicy"], str):
        return None
    parts = obj["$imagepolicy"].split(":")
    fields = {"tag": "tag", "name": "name", "digest": "digest"}
    names_ok = len(parts) in (2, 3) and all(
        p and p[0].isalnum() and p[-1].isalnum() and all(c.isalnum() or c in "._-" for c in p) for p in parts[:2]
    )
    if not names_ok or (len(parts) == 3 and parts[2] not in fields):
        return "invalid"
    return f"{parts[0]}:{parts[1]}", ("full" if len(parts) == 2 else fields[parts[2]])
