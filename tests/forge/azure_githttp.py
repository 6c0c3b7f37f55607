"""Git over HTTP for the fake Azure DevOps: ``<collection>/<project>/_git/<repo>`` served by ``git http-backend``.

So a checkout can have a real Azure-style remote and the tool's pushes must authenticate the way Azure DevOps
wants: an ``Authorization`` header (Basic with the PAT, or Bearer with the job token), never a URL credential.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class GitAnswer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes


def read_body(rfile: Any, headers: Any) -> bytes:
    """The request body, de-chunked when git streams a large pack."""
    get, read, readline = headers.get, rfile.read, rfile.readline
    if (get("Transfer-Encoding") or "").lower() != "chunked":
        length = int(get("Content-Length") or 0)
        return read(length) if length else b""
    chunks = []
    while True:
        size = int(readline().strip().split(b";")[0], 16)
        if size == 0:
            readline()
            return b"".join(chunks)
        chunks.append(read(size))
        readline()


def serve(bare: Path, *, method: str, rest: str, query: str, headers: Any, body: bytes) -> GitAnswer:
    """Run ``git http-backend`` for ``rest`` (the path after ``_git/<repo>``) as a CGI script."""
    get = headers.get
    env = {
        **os.environ,
        "GIT_PROJECT_ROOT": str(bare.parent),
        "GIT_HTTP_EXPORT_ALL": "1",
        "PATH_INFO": f"/{bare.name}{rest}",
        "REQUEST_METHOD": method,
        "QUERY_STRING": query,
        "REMOTE_USER": "azure-devops-user",  # authenticated: http-backend then allows receive-pack
        "REMOTE_ADDR": "127.0.0.1",
        "CONTENT_TYPE": get("Content-Type") or "",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_CONTENT_ENCODING": get("Content-Encoding") or "",
        "GIT_PROTOCOL": get("Git-Protocol") or "",
    }
    done = subprocess.run(["git", "http-backend"], input=body, capture_output=True, env=env, check=False)
    head, _, payload = done.stdout.partition(b"\r\n\r\n")
    status, pairs = 200, []
    for line in head.decode("latin-1").split("\r\n"):
        key, _, value = line.partition(":")
        if key.lower() == "status":
            status = int(value.strip().split()[0])
        elif key:
            pairs.append((key.strip(), value.strip()))
    if done.returncode != 0 and not done.stdout:
        return GitAnswer(500, [], done.stderr)
    return GitAnswer(status, pairs, payload)
