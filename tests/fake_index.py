"""A package index on 127.0.0.1 for one project (PEP 691 JSON or PEP 503 HTML pages, files from memory), and
stand-in uv wheels: what action/fetch_uv.py and the action's pip bootstrap read, without the public index."""

from __future__ import annotations

import base64
import hashlib
import io
import stat
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

JSON = "application/vnd.pypi.simple.v1+json"
UV_VERSION = "0.13.8"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def uv_wheel(tag: str, script: str) -> tuple[str, bytes]:
    """(filename, bytes) of a wheel shaped like uv's: a `uv` script in its .data/scripts, tagged ``tag``."""
    name = f"uv-{UV_VERSION}"
    files = {
        f"{name}.data/scripts/uv": script.encode(),
        "uv/__init__.py": b"",
        f"{name}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: uv\nVersion: {UV_VERSION}\n".encode(),
        f"{name}.dist-info/WHEEL": f"Wheel-Version: 1.0\nRoot-Is-Purelib: false\nTag: {tag}\n".encode(),
    }
    record = "".join(
        f"{path},sha256={base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},{len(data)}\n"
        for path, data in files.items()
    )
    files[f"{name}.dist-info/RECORD"] = f"{record}{name}.dist-info/RECORD,,\n".encode()
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | (0o755 if "/scripts/" in path else 0o644)) << 16  # pip reads both
            archive.writestr(info, data)
    return f"{name}-{tag}.whl", buffer.getvalue()


def uv_lock(path: Path, *wheels: bytes) -> Path:
    """A requirements/uv.txt that pins uv to exactly these wheels' hashes."""
    hashes = " \\\n".join(f"    --hash=sha256:{sha256(data)}" for data in wheels)
    path.write_text(f"uv=={UV_VERSION} \\\n{hashes}\n")
    return path


@dataclass
class Index:
    """The served project: files by name, the sha256 each is listed with, the page format, the requests seen."""

    files: dict[str, bytes]
    listed: dict[str, str] = field(default_factory=dict)  # filename -> sha256 on the page (default: the real one)
    html: bool = False
    basic_auth: str = ""  # "user:password" the index requires, when set
    requests: list[str] = field(default_factory=list)
    url: str = ""

    def page(self) -> tuple[bytes, str]:
        digests = {name: self.listed.get(name, sha256(data)) for name, data in self.files.items()}
        if self.html:
            links = "".join(f'<a href="../../files/{n}#sha256={d}">{n}</a>\n' for n, d in digests.items())
            return f"<!DOCTYPE html><html><body>\n{links}</body></html>\n".encode(), "text/html"
        import json

        entries = [{"filename": n, "url": f"../../files/{n}", "hashes": {"sha256": d}} for n, d in digests.items()]
        return json.dumps({"meta": {"api-version": "1.0"}, "name": "uv", "files": entries}).encode(), JSON


@contextmanager
def serve(index: Index) -> Iterator[Index]:
    """Serve ``index`` at index.url (…/simple) until the block ends."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            index.requests.append(self.path)
            expected = "Basic " + base64.b64encode(index.basic_auth.encode()).decode()
            if index.basic_auth and self.headers.get("Authorization") != expected:
                self.send_error(401)
                return
            if self.path == "/simple/uv/":
                body, kind = index.page()
            elif self.path.startswith("/files/") and self.path[len("/files/") :] in index.files:
                body, kind = index.files[self.path[len("/files/") :]], "application/octet-stream"
            else:
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the requests are recorded in index.requests."""

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    index.url = f"http://127.0.0.1:{server.server_address[1]}/simple"
    try:
        yield index
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
