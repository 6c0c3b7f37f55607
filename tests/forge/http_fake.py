"""What the GitLab and Gitea fakes share: an in-process HTTP server, the request log, violations, and queued
faults (5xx, 429 with Retry-After, dropped connections, slow answers, rejected pushes).

The request record and fault shapes are the fake GitHub's (tests/forge/github_fake.py), so helpers and the
reliability tests read every fake's log the same way. A subclass implements ``handle``.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from tests.forge.azure_githttp import GitAnswer, read_body, serve
from tests.forge.github_fake import Fault, Recorded, ServedFake
from tests.forge.github_git import BareRepo

Answer = tuple[int, dict[str, str], bytes]


class HttpFake(ServedFake):
    """Server lifecycle, faults and the request log; ``prefix`` is stripped from recorded paths."""

    prefix = ""

    def __init__(self, bare: Path) -> None:
        self.git = BareRepo(bare)
        self.lock = threading.RLock()
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.git_requests: list[tuple[str, str, str | None]] = []  # (method, path, auth scheme) of git over HTTP
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self.origin = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    # -- faults and the log ----------------------------------------------------------------------------------
    def fail_next(self, n: int = 1, status: int = 502, match: str | None = None) -> None:
        self.faults.extend(Fault(status, match=match) for _ in range(n))

    def rate_limit_next(self, wait: int = 0, match: str | None = None) -> None:
        self.faults.append(Fault(429, {"Retry-After": str(wait)}, "429 Too Many Requests", match=match))

    def reset_next(self, n: int = 1, match: str | None = None) -> None:
        self.faults.extend(Fault(None, match=match) for _ in range(n))

    def slow_next(self, seconds: float, n: int = 1, match: str | None = None) -> None:
        self.faults.extend(Fault(200, delay=seconds, match=match) for _ in range(n))

    def reject_next_push(self, n: int = 1) -> None:
        self.git.reject_pushes(n)

    def request_lines(self) -> list[str]:
        return [str(r) for r in self.requests]

    def calls(self, method: str | None = None, path: str = "") -> list[Recorded]:
        return [r for r in self.requests if (method is None or r.method == method) and path in r.path]

    def take_fault(self, line: str) -> Fault | None:
        with self.lock:
            for index, fault in enumerate(self.faults):
                if fault.match is None or fault.match in line:
                    return self.faults.pop(index)
        return None

    def record(self, method: str, raw_path: str, status: int) -> None:
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        flat = tuple((k, v) for k, values in sorted(query.items()) for v in values)
        with self.lock:
            self.requests.append(Recorded(method, split.path.removeprefix(self.prefix), flat, status))

    def reply(
        self, method: str, raw_path: str, status: int, payload: Any, headers: dict[str, str] | None = None
    ) -> Answer:
        """Record the request and encode ``payload`` as the JSON answer."""
        self.record(method, raw_path, status)
        data = b"" if payload is None else json.dumps(payload).encode()
        return status, {"Content-Type": "application/json", **(headers or {})}, data

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> Answer:
        raise NotImplementedError

    def git_authorised(self, header: str | None) -> bool:
        """Whether git's ``Authorization`` header carries a token this forge accepts (subclasses decide)."""
        return False

    def git_http(self, method: str, raw_path: str, headers: Any, body: bytes) -> GitAnswer:
        """Git's smart HTTP at ``/<repo path>.git/...`` for callers whose header ``git_authorised`` accepts."""
        split = urlsplit(raw_path)
        _, _, rest = split.path.partition(".git/")
        auth = headers.get("Authorization")
        with self.lock:
            self.git_requests.append((method, split.path, auth.split()[0] if auth else None))
        if not self.git_authorised(auth):
            return GitAnswer(401, [("WWW-Authenticate", 'Basic realm="fake forge"')], b"")
        with self.lock:  # pushes update refs the API reads
            return serve(self.git.path, method=method, rest="/" + rest, query=split.query, headers=headers, body=body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A dropped connection is a fault we injected; no traceback on stderr."""


def _handler_for(fake: HttpFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request stderr line."""

        def _serve(self) -> None:
            body = read_body(self.rfile, self.headers)
            if ".git/" in urlsplit(self.path).path:
                answer = fake.git_http(self.command, self.path, self.headers, body)
                self.send_response(answer.status)
                for key, value in answer.headers:
                    self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)
                return
            fault = fake.take_fault(f"{self.command} {urlsplit(self.path).path}")
            if fault is not None and fault.delay:
                time.sleep(fault.delay)  # a slow answer; the request is then served normally
                fault = None
            if fault is not None and fault.status is None:
                fake.record(self.command, self.path, 0)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault is not None and fault.status is not None:
                status, headers, data = fake.reply(
                    self.command, self.path, fault.status, {"message": fault.message}, fault.headers
                )
            else:
                status, headers, data = fake.handle(self.command, self.path, self.headers, body)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server names

    return Handler
