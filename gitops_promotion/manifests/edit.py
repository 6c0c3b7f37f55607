"""Plan and apply marker edits: every candidate validated first, then only the marked scalars rewritten."""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from gitops_promotion.errors import ManifestError
from gitops_promotion.manifests.images import ImageRef, parse_image_ref, with_tag
from gitops_promotion.manifests.markers import BOM, Marker, MarkerSite, ParsedFile, parse_file
from gitops_promotion.manifests.scan import read_candidate_names, read_candidates, relative, relative_to

_MAX_LISTED = 10


@dataclass(frozen=True)
class FileEdit:
    """One file's planned rewrite: its bytes now and after, and the markers (old values) that change."""

    path: Path
    before: bytes
    after: bytes
    markers: tuple[Marker, ...]
    rel: str = field(default="", compare=False)  # the path relative to the repository root, for messages

    @property
    def name(self) -> str:
        return self.rel or str(self.path)


def load_files(paths: Sequence[Path], *, repo_root: Path) -> list[ParsedFile]:
    """Every candidate under ``paths``, decoded and validated (the first invalid file raises)."""
    candidates = read_candidates(paths, repo_root=repo_root)
    return [parse_file(data, path, relative(path, repo_root)) for path, data in candidates]


def load_app_files(paths: Sequence[Path], *, repo_root: Path, group: str, app: str) -> list[ParsedFile]:
    """The candidates that may hold ``group:app``'s markers, parsed; the others only have their markers checked."""
    from gitops_promotion.manifests.prescreen import may_target

    rel_of = relative_to(repo_root)
    return [
        parse_file(data, Path(name), rel)
        for name, data in read_candidate_names(paths, repo_root=repo_root)
        if may_target(data, rel := rel_of(name), group, app)
    ]


def scan_markers(paths: Sequence[Path], *, repo_root: Path) -> list[Marker]:
    """All markers in all candidates under ``paths``, in path and line order."""
    return [marker for parsed in load_files(paths, repo_root=repo_root) for marker in parsed.markers]


def plan_edits(
    paths: Sequence[Path],
    *,
    repo_root: Path,
    group: str,
    app: str,
    tag: str,
    digest: str | None = None,
    probe: bool = False,
    files: Sequence[ParsedFile] | None = None,
) -> list[FileEdit]:
    """The edits that set ``group:app`` to ``tag`` (and ``digest``); only files whose bytes change.

    A ``:digest`` marker without ``digest`` is refused, unless ``probe`` (a throw-away edit that is never
    committed, as the feature render's probe tag). Only files that may hold the target's marker are parsed in
    full; the others are decoded and their marker comments checked (prescreen.may_target). The error for a
    missing marker lists every marker, so it parses all. ``files``: what :func:`load_app_files` returned for these
    arguments, when the caller already loaded them (the tree is then read once).
    """
    if files is None:
        files = load_app_files(paths, repo_root=repo_root, group=group, app=app)
    targets = [site for parsed in files for site in parsed.sites if _is_target(site.marker, group, app)]
    if not targets:
        raise _no_marker(load_files(paths, repo_root=repo_root), paths, repo_root, group, app)
    _refuse_unsafe(files, group, app, tag, digest, probe=probe)
    edits = []
    for parsed in files:
        edit = _plan_file(parsed, group, app, tag, digest)
        if edit is not None:
            edits.append(edit)
    return edits


def apply_edits(edits: Sequence[FileEdit]) -> None:
    """Write each edit atomically; if any file changed since planning, raise and write nothing."""
    targets = []
    for edit in edits:
        real = os.path.realpath(edit.path)  # write through a symlink, never replace the link itself
        try:
            current = Path(real).read_bytes()
        except OSError as exc:
            msg = f"{edit.name}: cannot read: {exc.strerror}; nothing written"
            raise ManifestError(msg, file=edit.name) from None
        if current != edit.before:
            msg = f"{edit.name}: changed on disk since the edit was planned; nothing written"
            raise ManifestError(msg, file=edit.name)
        if not os.access(Path(real).parent, os.W_OK):
            msg = f"{edit.name}: directory is not writable; nothing written"
            raise ManifestError(msg, file=edit.name)
        targets.append((real, edit))
    for real, edit in targets:
        _write_atomically(real, edit)


def _refuse_unsafe(
    files: Sequence[ParsedFile], group: str, app: str, tag: str, digest: str | None, *, probe: bool
) -> None:
    """Fail before any write when an edit would deploy another image than ``tag`` names (issue 14)."""
    from gitops_promotion.manifests.forms import refuse_wrong_forms

    refuse_wrong_forms(files, group, app)
    for parsed in files:
        for marker in parsed.markers:
            where = f"{parsed.rel}:{marker.line}"
            if _is_target(marker, group, app) and marker.field == "digest" and digest is None and not probe:
                # Keeping it would pin the previous image while the tag says the new one.
                msg = (
                    f"{where}: {marker.policy}:digest marker needs the digest of {tag}, and none was given "
                    "or resolved from the registry; nothing changed (give --digest)"
                )
                raise ManifestError(msg, file=parsed.rel, line=marker.line)


def current_image(paths: Sequence[Path], *, repo_root: Path, group: str, app: str) -> ImageRef | None:
    """What the markers of ``group:app`` say now (the first marker of each kind wins); None without one."""
    markers = [m for m in scan_markers(paths, repo_root=repo_root) if _is_target(m, group, app)]
    if not markers:
        return None
    from gitops_promotion.manifests.forms import holds_full_reference

    name = tag = digest = None
    for marker in markers:
        if marker.field == "full":
            ref = parse_image_ref(marker.value)
            name, tag, digest = name or ref.name, tag or ref.tag, digest or ref.digest
        elif marker.field == "name":
            name = name or marker.value
        elif marker.field == "tag" and not holds_full_reference(marker):
            tag = tag or marker.value
        elif marker.field == "tag":  # a `:tag` marker on a whole reference: read what it runs, not the text
            ref = parse_image_ref(marker.value)
            name, tag, digest = name or ref.name, tag or ref.tag, digest or ref.digest
        else:
            digest = digest or marker.value
    return ImageRef(name=name or "", tag=tag, digest=digest)


def _is_target(marker: Marker, group: str, app: str) -> bool:
    return marker.namespace == group and marker.name == app


def _no_marker(files: list[ParsedFile], paths: Sequence[Path], repo_root: Path, group: str, app: str) -> ManifestError:
    where = ", ".join(relative(p, repo_root) for p in paths)
    first: dict[str, Marker] = {}
    for parsed in files:
        for marker in parsed.markers:
            first.setdefault(marker.policy, marker)
    found = [f"{policy} ({relative(m.path, repo_root)}:{m.line})" for policy, m in first.items()]
    if len(found) > _MAX_LISTED:
        found[_MAX_LISTED:] = [f"and {len(found) - _MAX_LISTED} more"]
    listing = (
        f"found: {', '.join(found)}"
        if found
        else (
            "found no $imagepolicy markers at all; mark the image line of the manifest, e.g. "
            f'`image: registry.example/{app}:1.0.0 # {{"$imagepolicy": "{group}:{app}"}}`'
        )
    )
    return ManifestError(f"no marker for {group}:{app} under {where}; {listing}")


def _new_value(marker: Marker, tag: str, digest: str | None) -> str | None:
    """The value this promotion writes into the marker's scalar, or None to leave it alone."""
    if marker.field == "tag":
        return tag
    if marker.field == "full":
        return with_tag(marker.value, tag, digest)
    if marker.field == "digest":
        return digest
    return None  # `:name`: a tag promotion never renames the image


def _plan_file(parsed: ParsedFile, group: str, app: str, tag: str, digest: str | None) -> FileEdit | None:
    changes: list[tuple[MarkerSite, str]] = []
    for site in parsed.sites:
        if not _is_target(site.marker, group, app):
            continue
        value = _new_value(site.marker, tag, digest)
        if value is not None and value != site.marker.value:
            changes.append((site, value))
    if not changes:
        return None
    text = parsed.text
    for site, value in sorted(changes, key=lambda change: change[0].start, reverse=True):
        encoded = encode_scalar(value, site.style, in_flow=site.in_flow, old=site.marker.value)
        text = text[: site.start] + encoded + text[site.end :]
    after = (BOM if parsed.bom else b"") + text.encode()
    new_values = {id(site): value for site, value in changes}
    _verify(parsed, after, [new_values.get(id(site), site.marker.value) for site in parsed.sites])
    markers = tuple(site.marker for site, _value in changes)
    return FileEdit(path=parsed.path, before=parsed.data, after=after, markers=markers, rel=parsed.rel)


def _verify(parsed: ParsedFile, after: bytes, expected: list[str]) -> None:
    """Re-read the rewritten bytes: every marker must read back its new (or unchanged) value."""
    again = parse_file(after, parsed.path, parsed.rel)
    got = [(m.policy, m.field, m.value) for m in again.markers]
    want = [(m.policy, m.field, value) for m, value in zip(parsed.markers, expected, strict=True)]
    if got != want:
        msg = f"{parsed.rel}: the rewritten values would not read back as written; nothing written"
        raise ManifestError(msg, file=parsed.rel)


# Scalars YAML 1.1 or 1.2 (and go-yaml, which Kubernetes uses) would read as something other than a string.
_NOT_A_STRING = re.compile(
    r"""(?x)
    ~ | null | Null | NULL
    | y | Y | yes | Yes | YES | n | N | no | No | NO | true | True | TRUE | false | False | FALSE
    | on | On | ON | off | Off | OFF
    | [-+]? (?: 0b[01_]+ | 0o?[0-7_]+ | 0x[0-9a-fA-F_]+ | [0-9][0-9_]* (?: :[0-5]?[0-9] )* )
    | [-+]? (?: \.[0-9_]+ | [0-9][0-9_]* (?: :[0-5]?[0-9] )* (?: \.[0-9_]* )? ) (?: [eE][-+]?[0-9]+ )?
    | [-+]? \. (?: inf | Inf | INF ) | \. (?: nan | NaN | NAN )
    | [0-9]{4}-[0-9]{1,2}-[0-9]{1,2} (?: [Tt\s].* )?
    """
)
_PLAIN_SAFE = re.compile(r"[A-Za-z0-9_/][A-Za-z0-9_./:@+-]*")
_FLOW_UNSAFE = frozenset(":,[]{}")


def encode_scalar(value: str, style: str, *, in_flow: bool = False, old: str = "") -> str:
    """``value`` as YAML text in its original ``style``; plain only when it reads back as that string."""
    if style == "'":
        return "'" + value.replace("'", "''") + "'"
    if style == "" and _plain_ok(value, in_flow=in_flow, old=old):
        return value
    return _double_quoted(value)


def _plain_ok(value: str, *, in_flow: bool, old: str) -> bool:
    if not _PLAIN_SAFE.fullmatch(value) or value.endswith(":") or _NOT_A_STRING.fullmatch(value):
        return False
    # libyaml (and so older tools) refuse ':' in plain scalars inside flow collections; YAML 1.2 allows it.
    # Keep plain only when the old value already had such characters there (the file relies on it anyway).
    return not (in_flow and _FLOW_UNSAFE.intersection(value) - _FLOW_UNSAFE.intersection(old))


def _double_quoted(value: str) -> str:
    out = []
    for ch in value:
        code = ord(ch)
        if ch in '"\\':
            out.append("\\" + ch)
        elif code < 0x20 or code == 0x7F or 0x80 <= code <= 0x9F or code in (0x2028, 0x2029, 0xFEFF):
            out.append(f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _write_atomically(real: str, edit: FileEdit) -> None:
    # No fsync: a git checkout is not a database; what matters is that no reader ever sees half a file.
    target = Path(real)
    mode = stat.S_IMODE(target.stat().st_mode)
    fd, tmp = _create_temp(target)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(edit.after)
        tmp.chmod(mode)
        tmp.replace(target)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        msg = f"{edit.name}: cannot write: {exc.strerror}"
        raise ManifestError(msg, file=edit.name) from None


def _create_temp(target: Path) -> tuple[int, Path]:
    """A new private file beside ``target`` (as ``tempfile.mkstemp`` makes, without importing it: issue 17)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_BINARY", 0)
    stem = f".{target.name}.{os.getpid()}"
    attempt = 0
    while True:  # ends: a directory holds finitely many leftovers
        tmp = target.with_name(f"{stem}.{attempt}.tmp")
        try:
            return os.open(tmp, flags, 0o600), tmp
        except FileExistsError:
            attempt += 1  # a leftover of a killed run that had this pid: never write into it
