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
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from gitops_promotion.errors import PromotionError
from gitops_promotion.manifests import markers_in_bytes, plan_edits

SETTINGS = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
    b"    newTag: '6.4.0' # {\"$imagepolicy\": \"apps:podinfo:tag\"}\r\n"
    b'  - name: other\r\n    newTag: 1.2.3 # {"$imagepolicy": "apps:other:tag"}\r\n',
    # HelmRelease values in a flow mapping, a BOM, two documents, a block scalar and an anchor.
    b"\xef\xbb\xbf---\napiVersion: helm.toolkit.fluxcd.io/v2\nkind: HelmRelease\nspec:\n  values:\n"
    b'    image: {repository: ghcr.io/stefanprodan/podinfo, tag: "6.4.0"} # {"$imagepolicy": "apps:podinfo:tag"}\n'
    b"    notes: |\n      image: podinfo:1 # {\"$imagepolicy\": \"apps:podinfo\"}\n"
    b"    base: &b x\n    copy: *b\n---\nkind: ConfigMap\ndata:\n"
    b'  tag: "1.0" # {"$imagepolicy": "apps:podinfo:tag"}\n',
    # Kustomization named file content with comments only around markers.
    b'# {"$imagepolicy": "apps:podinfo"}\nimages:\n  - newTag: v1 #{"$imagepolicy":"apps:podinfo:tag"}\n',
]

_MUTATIONS = st.one_of(
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.binary(min_size=1, max_size=8)),
    st.tuples(st.just("insert"), st.integers(0, 10_000), st.sampled_from(
        [b"#", b"'", b'"', b":", b"- ", b"\n", b"\r\n", b"  ", b"\t", b"{", b"}", b"[", b"]", b"&a ", b"*a",
         b"|\n", b"---\n", b"@sha256:", b"\\", b"\x00", b"\xff", b"\xc3\xa9", b'"$imagepolicy"'])),
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


def _plan(data: bytes, tag: str = TAG) -> tuple[list[bytes], bytes] | None:
    """(edited bytes per file, original) or None when the engine refused the input with a PromotionError."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "m.yaml").write_bytes(data)
        try:
            edits = plan_edits([root], repo_root=root, group=GROUP, app=APP, tag=tag)
        except PromotionError:
            return None
    return [edit.after for edit in edits], data


def check_confined(before: bytes, after: bytes) -> None:
    """Only lines carrying a target marker differ; on them the marker comment and the line's start survive."""
    old = markers_in_bytes(before, Path("m.yaml"))
    new = markers_in_bytes(after, Path("m.yaml"))
    assert [(m.line, m.policy, m.field) for m in old] == [(m.line, m.policy, m.field) for m in new]
    for was, now in zip(old, new, strict=True):
        if was.policy != f"{GROUP}:{APP}" or was.field == "name":
            assert now.value == was.value, f"marker {was.policy} on line {was.line} changed"
        elif was.field == "tag":
            assert now.value == TAG
        elif was.field == "full":
            assert now.value.endswith(f":{TAG}") or f":{TAG}@" in now.value, now.value
    target_lines = {m.line for m in old if m.policy == f"{GROUP}:{APP}" and m.field in ("tag", "full")}
    before_lines, after_lines = before.splitlines(keepends=True), after.splitlines(keepends=True)
    assert len(before_lines) == len(after_lines)
    for number, (b, a) in enumerate(zip(before_lines, after_lines, strict=True), start=1):
        if a == b:
            continue
        assert number in target_lines, f"line {number} changed but carries no target marker"
        token = b.index(b'"$imagepolicy"')
        comment = b[b.rindex(b"#", 0, token) :]
        assert a.endswith(comment), "the marker comment itself changed"
        start = 0
        while start < min(len(a), len(b)) and a[start] == b[start]:
            start += 1
        assert start < len(b) - len(comment), "the edit reached into the marker comment"


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
    ['"$imagePolicy"', '"imagepolicy"', '"$imagepolicy "', "'$imagepolicy'", '"\\u0024imagepolicy"'])
_REFS = st.sampled_from(["apps:podinfo", "apps:podinfo:tag", "apps:podinfo:name", "apps:podinfo:digest",
                         "apps:podinfo:TAG", "apps:podinfo:tag:x", "apps", "apps/podinfo", ":podinfo", "apps:-x",
                         "apps:pod info", ""])
_EXTRA = st.just("") | st.sampled_from([', "x": 1', ', "$imagepolicy": "apps:other"'])
_TAIL = st.sampled_from(["", " "]) | st.sampled_from([" trailing", " # more", "}"])


@given(hashes=_HASHES, lead=_SPACES, inner=_SPACES, key=_KEYS, ref=_REFS, extra=_EXTRA, tail=_TAIL,
       value=st.sampled_from(["6.4.0", "'6.4.0'", '"6.4.0"', "ghcr.io/x/podinfo:6.4.0"]))
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
    planned = _plan(data)
    if expected[0] != f"{GROUP}:{APP}":
        assert planned is None, "no marker for the app: the engine says so"
        return
    assert planned is not None
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
