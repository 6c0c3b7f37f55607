"""A local HTTP server standing in for Slack, Teams and generic webhooks; it records every POST."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Hooks:
    """``url(path)``; a path starting /fail/<code> answers that code, /slow/ answers after ``slow_s``."""

    server: ThreadingHTTPServer
    received: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    slow_s: float = 1.0

    def url(self, path: str) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for p, body in self.received if p == path]


def start_hooks() -> Hooks:
    hooks: Hooks

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            assert self.headers.get("Content-Type") == "application/json"
            hooks.received.append((self.path, json.loads(self.rfile.read(length))))
            if self.path.startswith("/slow/"):
                time.sleep(hooks.slow_s)  # the server is slow; the client's short timeout must give up first
            code = int(self.path.split("/")[2]) if self.path.startswith("/fail/") else 200
            self.send_response(code)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, format: str, *args: Any) -> None:  # the base class's parameter name
            """Quiet."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    hooks = Hooks(server)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return hooks
