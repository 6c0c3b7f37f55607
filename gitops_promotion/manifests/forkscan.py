"""The scan of one large directory on every core: this process reads one share of the manifests, forked copies
of it the others.

Reading every manifest is most of a `set-image` on a big repository (issue 17); `git grep`, the yardstick, reads
with a thread per core. Python threads would share one interpreter lock, so the other readers are forked copies
of this process that only open and read files and report which ones hold the token.

This is only a fast path for the plain case: a tree with no symlinks, no file of 64 KiB or more, and nothing
unreadable. Anything else returns None and the sequential scan (scan.py) runs instead, so its rules and its
messages stay the only ones. A plain tree too small to share (or met in a process that must not fork) is read
here in this process, from the listing made to check it, so the sequential scan does not list it again.
"""

from __future__ import annotations

import os

from gitops_promotion.flux import KUSTOMIZATION_FILE, MANIFEST_SUFFIXES, MARKER_TOKEN
from gitops_promotion.manifests.scan import READ_CHUNK as CHUNK  # a file that fills it takes the sequential path

MIN_FILES = 3000  # below this a fork costs more than the shared reading saves
MAX_READERS = 8
_OPEN_FLAGS = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)
_DONE = b"\nok"  # a reader's last bytes: anything else (a crash, an exception) means "fall back"


def fast_scan(top: str) -> list[tuple[str, bytes]] | None:
    """The manifests under directory ``top`` holding the token, with their bytes; None: use the sequential scan.

    A tree of ``MIN_FILES`` or more is read on every core; a smaller one (or any, in a process with other threads
    or on one core) is read here, from the same listing, so nothing is listed twice."""
    files = _list(top)
    if files is None:
        return None
    if len(files) < MIN_FILES or not _can_fork():
        return _read(files)
    shared = _read_shared(files)
    if shared is None:
        return None
    mine, theirs = shared
    again = _read(theirs)  # the readers found them; read here, once more, to have their bytes in this process
    if again is None or len(again) != len(theirs):
        return None  # changed meanwhile: let the sequential scan read everything again
    return mine + again


def _can_fork() -> bool:
    # Forking a process that runs other threads can leave the child stuck on a lock one of them held.
    import threading

    return hasattr(os, "fork") and threading.active_count() == 1 and _readers() > 1


def _readers() -> int:
    """One reader per core this process may run on, up to ``MAX_READERS``."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, MAX_READERS)


def _read_shared(files: list[str]) -> tuple[list[tuple[str, bytes]], list[str]] | None:
    """Read ``files`` here and in forked readers: (this share's finds with their bytes, the readers' finds)."""
    readers = _readers()
    size = len(files)
    shares = [files[i * size // readers : (i + 1) * size // readers] for i in range(readers)]  # in walk order
    children: list[tuple[int, int, list[str]]] = []
    try:
        try:
            for share in shares[1:]:
                children.append((*_start_reader(share), share))
        except OSError:  # no more processes or pipes: the readers started so far are reaped below
            return None
        mine = _read(shares[0])
        reports = [_parse_report(_read_pipe(read_fd), share) for _pid, read_fd, share in children]
    finally:
        for pid, read_fd, _share in children:
            os.close(read_fd)
            os.waitpid(pid, 0)
    theirs = [path for found in reports if found is not None for path in found]
    if mine is None or any(found is None for found in reports):
        return None
    return mine, theirs


def _start_reader(share: list[str]) -> tuple[int, int]:
    """Fork a reader of ``share``: its pid and the read end of the pipe it reports on."""
    read_fd, write_fd = os.pipe()
    try:
        pid = os.fork()
    except OSError:
        os.close(read_fd)
        os.close(write_fd)
        raise
    if pid == 0:  # pragma: no cover - runs in the child; its report is checked by the parent
        _child(share, read_fd, write_fd)
    os.close(write_fd)
    return pid, read_fd


def _list(top: str) -> list[str] | None:
    """Every manifest file under ``top`` (not under ``.git``), in walk order; None on a symlink or an error."""
    out: list[str] = []
    stack = [top]
    try:
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    name = entry.name
                    if entry.is_symlink():
                        return None
                    if entry.is_dir(follow_symlinks=False):
                        if name != ".git":
                            stack.append(entry.path)
                    elif (name.endswith(MANIFEST_SUFFIXES) or name == KUSTOMIZATION_FILE) and entry.is_file(
                        follow_symlinks=False
                    ):
                        out.append(entry.path)
    except OSError:
        return None
    return out


def _read(files: list[str]) -> list[tuple[str, bytes]] | None:
    """The files holding the token, with their bytes; None when one is large or cannot be read."""
    buf = bytearray(CHUNK)
    view = memoryview(buf)
    find, readv, open_, close = buf.find, os.readv, os.open, os.close
    found = []
    try:
        for path in files:
            fd = open_(path, _OPEN_FLAGS)
            try:
                size = readv(fd, (buf,))
            finally:
                close(fd)
            if size == CHUNK:
                return None
            if find(MARKER_TOKEN, 0, size) >= 0:
                found.append((path, bytes(view[:size])))
    except OSError:
        return None
    return found


def _child(files: list[str], read_fd: int, write_fd: int) -> None:  # pragma: no cover - runs in the child
    """Read ``files``, write the indexes of the candidates and ``_DONE`` to the pipe, and exit at once."""
    try:
        os.close(read_fd)
        found = _read(files)
        if found is not None:
            index = {path: i for i, path in enumerate(files)}
            payload = b",".join(str(index[path]).encode() for path, _data in found) + _DONE
            view = memoryview(payload)
            while view:
                view = view[os.write(write_fd, view) :]
    finally:
        os._exit(0)  # no atexit handlers, no flush of the parent's buffered output a second time


def _read_pipe(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_report(report: bytes, files: list[str]) -> list[str] | None:
    if not report.endswith(_DONE):
        return None
    body = report[: -len(_DONE)]
    try:
        return [files[int(i)] for i in body.split(b",")] if body else []
    except (ValueError, IndexError):
        return None
