"""Image history from git objects: what each marker file says, and every change of an app's image in an env.

One `git log --first-parent --raw -G` per environment path lists the marker blobs each commit wrote; every
distinct blob is read once (one `git cat-file --batch`) and parsed once, then the log is replayed oldest first.
First-parent history is what the environment's branch saw: a merge commit is the moment a PR's change arrived.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from gitops_promotion.errors import PromotionError
from gitops_promotion.flux import MARKER_TOKEN, is_manifest_path
from gitops_promotion.gitrepo import GitRepo
from gitops_promotion.gitrepo import LogEntry as Commit

AppKey = tuple[str, str]  # (group, app): a marker's namespace and name
_NULL_BLOB = "0" * 40
# GitHub merge commits, Azure DevOps merge/squash commits, GitHub squash merges ("title (#12)").


@dataclass(frozen=True)
class Image:
    tag: str | None
    digest: str | None


@dataclass(frozen=True)
class Change:
    """``group/app`` started running ``image`` in ``env`` at ``commit`` (``previous`` before it)."""

    env: str
    group: str
    app: str
    image: Image | None  # None: the app's markers were removed
    previous: Image | None
    commit: Commit


FileImages = dict[AppKey, Image]


def file_images(data: bytes, path: str) -> FileImages:
    """The image each ``group:app`` marker in one file says; the first tag and first digest win.

    Raises PromotionError (ManifestError) when the file cannot be parsed.
    """
    from gitops_promotion.manifests import markers_in_bytes, parse_image_ref
    from gitops_promotion.manifests.forms import holds_full_reference

    if MARKER_TOKEN not in data:
        return {}
    tags: dict[AppKey, str | None] = {}
    digests: dict[AppKey, str | None] = {}
    for marker in markers_in_bytes(data, Path(path)):
        key = (marker.namespace, marker.name)
        tag = digest = None
        if marker.field == "tag" and not holds_full_reference(marker):
            tag = marker.value
        elif marker.field == "digest":
            digest = marker.value
        elif marker.field in ("full", "tag"):  # a `:tag` marker on a whole reference: the tag is inside it
            ref = parse_image_ref(marker.value)
            tag, digest = ref.tag, ref.digest
        else:
            tags.setdefault(key, None)  # a `:name` marker: the app is here, its tag is elsewhere
            continue
        tags[key] = tags.get(key) or tag
        digests[key] = digests.get(key) or digest
    return {key: Image(tag, digests.get(key)) for key, tag in tags.items()}


def combine(per_file: Iterable[tuple[str, Image]]) -> Image:
    """One app's image across its files, in path order (as `deployed_at` reads it)."""
    tag = digest = None
    for _path, image in sorted(per_file, key=lambda item: item[0]):
        tag = tag or image.tag
        digest = digest or image.digest
    return Image(tag, digest)


def under(path: str, directory: str) -> bool:
    return not directory or path == directory or path.startswith(directory.rstrip("/") + "/")


@dataclass(frozen=True)
class CommitFiles:
    commit: Commit
    files: tuple[tuple[str, str | None], ...]  # (path, blob id or None when deleted)


def read_log(repo: GitRepo, rev: str, pathspecs: Iterable[str]) -> list[CommitFiles]:
    """First-parent commits of ``rev`` that add or remove a marker line under ``pathspecs``, oldest first, each
    with the blobs of the files whose marker lines changed.

    A marker and the value it marks share a line (DESIGN 3), so a change of any image adds and removes a line
    holding the token: the pickaxe (``-G``) lets git skip every other commit and file, and only blobs that hold
    markers are read (issue 17: reading every blob ever touched cost seconds and hundreds of MiB at 100k files).
    """
    return parse_log(repo.git(*log_args(rev, pathspecs)))


def log_args(rev: str, pathspecs: Iterable[str]) -> list[str]:
    """The `git log` that `read_log` runs."""
    specs = sorted({p or "." for p in pathspecs}) or ["."]
    return [
        "log",
        "--first-parent",
        "--reverse",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--no-textconv",
        r"-G\$imagepolicy",
        "-z",
        "--format=%x1e%H%x1f%P%x1f%an%x1f%ae%x1f%ct%x1f%s",
        rev,
        "--",
        *specs,
    ]


def parse_log(out: str) -> list[CommitFiles]:
    """The output of `log_args`' log as entries."""
    entries = []
    for record in out.split("\x1e")[1:]:
        header, _, raw = record.partition("\0")
        sha, parents, author, email, ts, subject = header.split("\x1f", 5)
        fields = raw.lstrip("\n").split("\0")
        files = []
        for meta, path in zip(fields[::2], fields[1::2], strict=False):
            parts = meta.lstrip("\n:").split()
            if len(parts) < 5 or not is_manifest_path(path):
                continue
            blob = parts[3]
            files.append((path, None if blob == _NULL_BLOB or parts[4].startswith("D") else blob))
        commit = Commit(sha, tuple(parents.split()), author, email, int(ts), subject)
        entries.append(CommitFiles(commit, tuple(files)))
    return entries


class BlobCache:
    """Parsed marker images per blob id: identical files (same tag in dev, qa and prod) are parsed once."""

    def __init__(self, repo: GitRepo) -> None:
        self._repo = repo
        self._images: dict[str, FileImages | None] = {}

    def add(self, blob: str, data: bytes, path: str) -> FileImages:
        """Parse one blob read elsewhere (the branch heads) and keep it; a broken file raises, and is kept as
        unreadable so the history does not parse it again."""
        if blob in self._images:
            images = self._images[blob]
            if images is not None:
                return images
        try:
            images = file_images(data, path)
        except PromotionError:
            self._images[blob] = None
            raise
        self._images[blob] = images
        return images

    def load(self, blobs: Mapping[str, str]) -> None:
        """Read and parse ``blobs`` (blob id -> a path for error messages) not seen yet, in one batch."""
        todo = [b for b in blobs if b not in self._images]
        for blob, data in zip(todo, self._repo.read_objects(todo), strict=True):
            self._images[blob] = self._parse(data, blobs[blob])

    @staticmethod
    def _parse(data: bytes | None, path: str) -> FileImages | None:
        if data is None:
            return None
        try:
            return file_images(data, path)
        except PromotionError:
            return None  # a broken historical file: keep what the env ran before it

    def images(self, blob: str) -> FileImages | None:
        return self._images.get(blob)


def replay(env: str, entries: list[CommitFiles], blobs: BlobCache, belongs: Callable[[str, str], bool]) -> list[Change]:
    """Every change of any app's image in ``env``, oldest first. ``belongs(path, group)``: file is env's."""
    files: dict[str, FileImages] = {}
    homes: dict[AppKey, set[str]] = {}
    current: dict[AppKey, Image] = {}
    changes: list[Change] = []
    for entry in entries:
        touched: set[AppKey] = set()
        for path, blob in entry.files:
            old = files.pop(path, {})
            new = {} if blob is None else blobs.images(blob)
            if new is None:  # unreadable: keep the old reading
                new = old
            new = {k: v for k, v in new.items() if belongs(path, k[0])}
            if new:
                files[path] = new
            for key in old.keys() | new.keys():
                touched.add(key)
                if key in new:
                    homes.setdefault(key, set()).add(path)
                else:
                    homes.get(key, set()).discard(path)
        for key in sorted(touched):
            paths = homes.get(key, set())
            image = combine((p, files[p][key]) for p in paths) if paths else None
            before = current.get(key)
            if image == before:
                continue
            if image is None:
                del current[key]
            else:
                current[key] = image
            changes.append(Change(env, key[0], key[1], image, before, entry.commit))
    return changes
