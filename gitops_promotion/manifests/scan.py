"""Candidate discovery: walk the given paths and keep the manifests whose bytes contain the marker token.

This is the hot loop of every command (20,000-file repositories): ``os.scandir`` and ``os.readv`` into one
reused buffer, string paths, a bytes object and a ``Path`` only for the few candidates (DESIGN 7). A large,
plain directory is read on every core (forkscan.py), which hands anything unusual back to this walk.
"""

# String paths and os calls on purpose: no pathlib object per file in the hot loop.
# ruff: noqa: PTH100, PTH112, PTH113, PTH114, PTH116, PTH119
from __future__ import annotations

import os
import stat
from collections.abc import Callable, Sequence
from pathlib import Path

from gitops_promotion.errors import ManifestError
from gitops_promotion.flux import KUSTOMIZATION_FILE, MANIFEST_SUFFIXES, MARKER_TOKEN, is_manifest_name
from gitops_promotion.manifests.markers import MAX_BYTES

READ_CHUNK = 64 * 1024  # one read gets a whole manifest; a file that fills it is read on (and maybe refused)
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


def find_candidates(paths: Sequence[Path], *, repo_root: Path) -> list[Path]:
    """Manifests under ``paths`` (files or directories) whose bytes contain ``"$imagepolicy"``, sorted."""
    return [path for path, _data in read_candidates(paths, repo_root=repo_root)]


def read_candidates(paths: Sequence[Path], *, repo_root: Path) -> list[tuple[Path, bytes]]:
    """Like :func:`find_candidates`, with each file's bytes (read once, here)."""
    return [(Path(name), data) for name, data in read_candidate_names(paths, repo_root=repo_root)]


def read_candidate_names(paths: Sequence[Path], *, repo_root: Path) -> list[tuple[str, bytes]]:
    """:func:`read_candidates` with absolute, normalised string paths (a ``Path`` only for what is kept)."""
    scanner = _Scanner(repo_root)
    for path in paths:
        scanner.add_root(os.path.abspath(path))
    found = sorted(scanner.found, key=lambda item: item[0])
    if scanner.saw_links or len(paths) > 1:
        return _dedupe(found)
    return found


def relative(path: str | Path, repo_root: str | Path) -> str:
    """``path`` relative to the repository root when it is inside it, else as given (for messages)."""
    rel = os.path.relpath(os.path.abspath(path), os.path.abspath(repo_root))
    return str(path) if rel.startswith("..") else rel


def relative_to(repo_root: str | Path) -> Callable[[str], str]:
    """:func:`relative` for many normalised absolute paths (as the scan returns them): a prefix cut when it can."""
    root = os.path.abspath(repo_root)
    prefix = root if root.endswith(os.sep) else root + os.sep

    def rel(name: str) -> str:
        if name.startswith(prefix) and not name.startswith("..", len(prefix)):
            return name[len(prefix) :]
        return relative(name, root)

    return rel


class _Scanner:
    """Walks roots, reads every manifest once, keeps those with the token; symlinks must stay in the repo."""

    def __init__(self, repo_root: Path) -> None:
        self.root = os.path.abspath(repo_root)
        self.real_root = os.path.realpath(repo_root)
        self.found: list[tuple[str, bytes]] = []
        self.walked: list[str] = []  # real paths of directories walked from the top, to skip revisits
        self.saw_links = False
        self._buf = bytearray(READ_CHUNK)
        self._view = memoryview(self._buf)

    def add_root(self, path: str) -> None:
        try:
            st = os.stat(path)
        except OSError as exc:
            rel = relative(path, self.root)
            msg = f"{rel}: {exc.strerror or 'cannot read'}"
            raise ManifestError(msg, file=rel) from None
        real = self._inside_repo(path)
        if os.path.islink(path):
            self.saw_links = True
        if stat.S_ISDIR(st.st_mode):
            self._walk_once(path, real)
        elif stat.S_ISREG(st.st_mode) and is_manifest_name(os.path.basename(path)):
            self._read(path)

    def _inside_repo(self, path: str) -> str:
        real = os.path.realpath(path)
        if real != self.real_root and not real.startswith(self.real_root + os.sep):
            rel = relative(path, self.root)
            how = "is a symlink to" if os.path.islink(path) else "resolves to"
            msg = f"{rel}: {how} {real}, outside the repository {self.real_root}"
            raise ManifestError(msg, file=rel)
        return real

    def _walk_once(self, path: str, real: str) -> None:
        if not any(real == done or real.startswith(done + os.sep) for done in self.walked):
            self.walked.append(real)
            from gitops_promotion.manifests.forkscan import fast_scan

            # A symlink-free tree is read here (on every core when large); None for anything left to _walk.
            found = fast_scan(path) if not self.saw_links else None
            if found is None:
                self._walk(path)
            else:
                self.found.extend(found)

    def _walk(self, top: str) -> None:
        buf, view, found = self._buf, self._view, self.found
        find, readv, open_, close = buf.find, getattr(os, "readv", _readv), os.open, os.close
        stack = [top]
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    name = entry.name
                    if (name.endswith(MANIFEST_SUFFIXES) or name == KUSTOMIZATION_FILE) and entry.is_file(
                        follow_symlinks=False
                    ):
                        # Inlined self._read(): this runs for every manifest in the repository.
                        path = entry.path
                        try:
                            fd = open_(path, _OPEN_FLAGS)
                            try:
                                size = readv(fd, (buf,))
                                if size == READ_CHUNK:
                                    self._read_large(fd, path)
                                elif find(MARKER_TOKEN, 0, size) >= 0:
                                    found.append((path, bytes(view[:size])))
                            finally:
                                close(fd)
                        except OSError as exc:
                            raise self._cannot_read(path, exc) from None
                    elif entry.is_dir(follow_symlinks=False):
                        if name != ".git":
                            stack.append(entry.path)
                    elif entry.is_symlink():
                        self._link(entry.path, name)

    def _read(self, path: str) -> None:
        try:
            fd = os.open(path, _OPEN_FLAGS)
            try:
                self._read_large(fd, path)
            finally:
                os.close(fd)
        except OSError as exc:
            raise self._cannot_read(path, exc) from None

    def _read_large(self, fd: int, path: str) -> None:
        """Read from the start; keep the file if it holds the token, refuse it if it is also too large."""
        os.lseek(fd, 0, os.SEEK_SET)
        chunks: list[bytes] = []
        size = 0
        while size <= MAX_BYTES:
            chunk = os.read(fd, 1024 * 1024)
            if not chunk:
                data = b"".join(chunks)
                if MARKER_TOKEN in data:
                    self.found.append((path, data))
                return
            chunks.append(chunk)
            size += len(chunk)
        # Too large to edit: an error only if it holds a marker, so scan on without keeping what was read.
        tail = b"".join(chunks)
        while len(tail) > len(MARKER_TOKEN):
            if MARKER_TOKEN in tail:
                rel = relative(path, self.root)
                msg = f"{rel}:1: file is too large to edit (over {MAX_BYTES} bytes) and holds a marker"
                raise ManifestError(msg, file=rel, line=1)
            tail = tail[-len(MARKER_TOKEN) :] + os.read(fd, 1024 * 1024)

    def _cannot_read(self, path: str, exc: OSError) -> ManifestError:
        rel = relative(path, self.root)
        return ManifestError(f"{rel}: cannot read: {exc.strerror}", file=rel)

    def _link(self, path: str, name: str) -> None:
        self.saw_links = True
        is_dir = os.path.isdir(path)
        if not is_dir and not is_manifest_name(name):
            return  # not something we would read, wherever it points
        real = self._inside_repo(path)  # a dangling link out of the repository is reported too
        if is_dir:
            self._walk_once(path, real)
        elif os.path.isfile(path):
            self._read(path)


def _readv(fd: int, buffers: tuple[bytearray]) -> int:
    """``os.readv`` for platforms without it (Windows)."""
    data = os.read(fd, len(buffers[0]))
    buffers[0][: len(data)] = data
    return len(data)


def _dedupe(found: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    """One entry per real file (a symlink and its target, or overlapping roots), first name in sort order."""
    seen: set[str] = set()
    out: list[tuple[str, bytes]] = []
    for name, data in found:
        real = os.path.realpath(name)
        if real not in seen:
            seen.add(real)
            out.append((name, data))
    return out
