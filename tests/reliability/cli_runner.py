"""Run the real CLI (``main(argv)``) from many threads at once, each with its own stdout and stderr.

Threads, not processes: 50 interpreters importing PyGithub would cost more than the runs themselves, and the
races under test are between git pushes and API calls, which threads interleave just as processes do (git runs
as a subprocess, HTTP waits release the GIL). click and logging write to ``sys.stdout``/``sys.stderr`` at call
time, so one proxy per stream routes each thread's writes to that thread's buffer.
"""

from __future__ import annotations

import io
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

from gitops_promotion.cli import main

T = TypeVar("T")


@dataclass(frozen=True)
class Run:
    argv: tuple[str, ...]
    code: int
    out: str
    err: str


class _PerThread(io.TextIOBase):
    """A text stream that writes to the calling thread's buffer, or to ``fallback`` outside a captured run."""

    def __init__(self, fallback: io.TextIOBase | object) -> None:
        super().__init__()
        self.fallback = fallback
        self._local = threading.local()

    @property
    def encoding(self) -> str:  # type: ignore[override] # click checks it; always UTF-8 here
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "strict"

    def isatty(self) -> bool:
        return False

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        buffer: io.StringIO | None = getattr(self._local, "buffer", None)
        target = buffer if buffer is not None else self.fallback
        target.write(text)  # type: ignore[attr-defined]
        return len(text)

    def flush(self) -> None:
        """Buffers need no flushing."""

    @contextmanager
    def capture(self) -> Iterator[io.StringIO]:
        self._local.buffer = io.StringIO()
        try:
            yield self._local.buffer
        finally:
            self._local.buffer = None


class CliRunner:
    """``run(argv)`` returns a Run; safe to call from many threads inside ``with CliRunner():``.

    The proxies are (re)installed on every run: pytest swaps its own capture streams back in between a
    fixture's set-up and the test call.
    """

    def __enter__(self) -> CliRunner:
        self._lock = threading.Lock()
        self._out, self._err = _PerThread(sys.stdout), _PerThread(sys.stderr)
        self._install()
        return self

    def _install(self) -> None:
        with self._lock:
            if sys.stdout is not self._out:
                self._out.fallback, sys.stdout = sys.stdout, self._out
            if sys.stderr is not self._err:
                self._err.fallback, sys.stderr = sys.stderr, self._err

    def __exit__(self, *exc: object) -> None:
        if sys.stdout is self._out:
            sys.stdout = self._out.fallback
        if sys.stderr is self._err:
            sys.stderr = self._err.fallback

    def run(self, argv: Sequence[str]) -> Run:
        self._install()
        with self._out.capture() as out, self._err.capture() as err:
            code = main(list(argv))
        return Run(tuple(argv), code, out.getvalue(), err.getvalue())


def all_at_once(jobs: Sequence[Callable[[], T]], *, workers: int | None = None) -> list[T]:
    """Start every job together (released by one event once all are queued); results in job order."""
    go = threading.Event()

    def start(job: Callable[[], T]) -> T:
        go.wait()
        return job()

    with ThreadPoolExecutor(max_workers=workers or len(jobs)) as pool:
        futures = [pool.submit(start, job) for job in jobs]
        go.set()
        return [future.result() for future in futures]
