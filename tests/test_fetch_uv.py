"""action/fetch_uv.py, the action's fast way to uv on a runner with no cache, run as the action runs it (the
runner's Python, a lock, a destination) against a local index: it takes only the lock's files, the one for this
platform, checks the bytes, and otherwise fails in one line that names no URL, so the action falls back to pip."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from pip._vendor.packaging.tags import sys_tags

from tests.fake_index import Index, serve, sha256, uv_lock, uv_wheel

ROOT = Path(__file__).resolve().parent.parent
FETCH = ROOT / "action" / "fetch_uv.py"
# The most specific tag a uv-like wheel (py3-none-<platform>) can have here, e.g. py3-none-manylinux_2_17_x86_64.
PLATFORM_TAG = str(next(t for t in sys_tags() if t.interpreter == "py3" and t.abi == "none" and t.platform != "any"))


def script(says: str) -> str:
    return f"#!/bin/sh\necho {says}\n"


def fetch(lock: Path, dest: Path, index_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "UV_DEFAULT_INDEX": index_url}
    env.pop("UV_INDEX_URL", None)
    return subprocess.run(
        [sys.executable, str(FETCH), str(lock), str(dest)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def says(uv: Path) -> str:
    return subprocess.run([str(uv)], capture_output=True, text=True, check=True, timeout=30).stdout.strip()


def test_it_takes_this_platforms_wheel_among_the_locks(tmp_path: Path) -> None:
    wheels = dict(
        [
            uv_wheel("py3-none-win_amd64", script("windows")),
            uv_wheel("py3-none-macosx_11_0_arm64", script("macos")),
            uv_wheel("py3-none-any", script("any")),
            uv_wheel(PLATFORM_TAG, script("this-platform")),
        ]
    )
    lock = uv_lock(tmp_path / "uv.txt", *wheels.values())
    with serve(Index(wheels)) as index:
        proc = fetch(lock, tmp_path / "uv", index.url)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == proc.stderr == ""
    assert says(tmp_path / "uv" / "bin" / "uv") == "this-platform"
    platform_wheel = next(name for name in wheels if PLATFORM_TAG in name)
    assert index.requests == ["/simple/uv/", f"/files/{platform_wheel}"]  # one page, one download
    assert sorted(p.name for p in (tmp_path / "uv" / "bin").iterdir()) == ["uv"]


def test_files_whose_hash_the_lock_does_not_list_are_never_downloaded(tmp_path: Path) -> None:
    """A better-fitting wheel that is not in the lock (another build, a tampered upload) is not a candidate."""
    unlocked_name, unlocked = uv_wheel(PLATFORM_TAG, script("not-locked"))
    locked_name, locked = uv_wheel("py3-none-any", script("locked"))
    lock = uv_lock(tmp_path / "uv.txt", locked)
    with serve(Index({unlocked_name: unlocked, locked_name: locked})) as index:
        proc = fetch(lock, tmp_path / "uv", index.url)
    assert proc.returncode == 0, proc.stderr
    assert says(tmp_path / "uv" / "bin" / "uv") == "locked"
    assert f"/files/{unlocked_name}" not in index.requests


def test_bytes_that_do_not_match_their_hash_are_refused(tmp_path: Path) -> None:
    """The page lists the lock's hash but serves other bytes: nothing is written, the action asks pip."""
    name, genuine = uv_wheel(PLATFORM_TAG, script("genuine"))
    _, tampered = uv_wheel(PLATFORM_TAG, script("tampered"))
    lock = uv_lock(tmp_path / "uv.txt", genuine)
    with serve(Index({name: tampered}, listed={name: sha256(genuine)})) as index:
        proc = fetch(lock, tmp_path / "uv", index.url)
    assert proc.returncode == 1
    assert proc.stderr == "fetch_uv: the downloaded wheel does not match the lock's hash\n"
    assert not (tmp_path / "uv" / "bin" / "uv").exists()


def test_no_wheel_of_the_lock_for_this_platform(tmp_path: Path) -> None:
    wheels = dict([uv_wheel("py3-none-win_amd64", script("windows")), uv_wheel("py3-none-win_arm64", script("arm"))])
    lock = uv_lock(tmp_path / "uv.txt", *wheels.values())
    with serve(Index(wheels)) as index:
        proc = fetch(lock, tmp_path / "uv", index.url)
    assert (proc.returncode, proc.stderr) == (1, "fetch_uv: no wheel in the lock fits this platform\n")
    assert index.requests == ["/simple/uv/"]


def test_credentials_in_the_index_url_are_sent_as_basic_auth_and_never_printed(tmp_path: Path) -> None:
    """As uv reads UV_DEFAULT_INDEX: user:password@ becomes basic auth; no output names the URL or the password."""
    name, data = uv_wheel(PLATFORM_TAG, script("private"))
    lock = uv_lock(tmp_path / "uv.txt", data)
    with serve(Index({name: data}, basic_auth="user:s3cret-token")) as index:
        private = index.url.replace("http://", "http://user:s3cret-token@")
        assert fetch(lock, tmp_path / "uv", private).returncode == 0
        assert says(tmp_path / "uv" / "bin" / "uv") == "private"
        wrong = fetch(lock, tmp_path / "other", private.replace("s3cret", "wrong"))
        index.html = True
        html = fetch(lock, tmp_path / "html", private)
    assert (wrong.returncode, wrong.stderr) == (1, "fetch_uv: the index answered HTTP 401\n")
    assert (html.returncode, html.stderr) == (1, "fetch_uv: the index answered text/html, not a PEP 691 JSON page\n")
    assert not (tmp_path / "other").exists() and not (tmp_path / "html").exists()
    assert "s3cret" not in wrong.stdout + wrong.stderr + html.stdout + html.stderr


@pytest.mark.parametrize(
    ("index_url", "reason"),
    [
        ("http://127.0.0.1:1/simple", "the index is unreachable (ConnectionRefusedError)"),
        ("file:///simple", "the index is not an http(s) URL"),
    ],
)
def test_an_index_it_cannot_read_fails_in_one_line(tmp_path: Path, index_url: str, reason: str) -> None:
    lock = uv_lock(tmp_path / "uv.txt", b"anything")
    proc = fetch(lock, tmp_path / "uv", index_url)
    assert (proc.returncode, proc.stdout, proc.stderr) == (1, "", f"fetch_uv: {reason}\n")


def test_a_missing_page_no_locked_file_and_a_lock_of_several_pins_fail(tmp_path: Path) -> None:
    lock = uv_lock(tmp_path / "uv.txt", b"x")
    with serve(Index(dict([uv_wheel(PLATFORM_TAG, script("unlocked"))]))) as index:
        proc = fetch(lock, tmp_path / "uv", index.url.replace("/simple", "/nowhere"))
        unlocked = fetch(lock, tmp_path / "uv", index.url)
    assert (proc.returncode, proc.stderr) == (1, "fetch_uv: the index answered HTTP 404\n")
    assert (unlocked.returncode, unlocked.stderr) == (
        1,
        "fetch_uv: the index lists no wheel with a hash from the lock\n",
    )
    assert not (tmp_path / "uv").exists()
    proc = fetch(ROOT / "requirements.txt", tmp_path / "uv", "http://127.0.0.1:1/simple")
    assert proc.returncode == 1
    assert proc.stderr.endswith("requirements.txt: expected exactly one pinned requirement with sha256 hashes\n")


def test_usage() -> None:
    proc = subprocess.run([sys.executable, str(FETCH)], capture_output=True, text=True, timeout=60, check=False)
    assert (proc.returncode, proc.stderr) == (2, "usage: fetch_uv.py LOCK DEST\n")
