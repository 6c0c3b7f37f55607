"""Small message defects of issue 14, item 11, through the real CLI and the fake forge's server."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from tests.reliability import forges
from tests.reliability.cli_runner import CliRunner
from tests.reliability.conftest import ForgeFactory


def test_dashboard_counts_one_open_pull_request_in_the_singular(
    make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path
) -> None:
    forge = make_forge("github", ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    argv = ["--sourcedir", str(work), *forge.argv()]
    assert cli.run(["new", "--group", "apps", "--app", "app000", "--tag", "2.0.0", *argv]).code == 0
    page = tmp_path / "dashboard.html"
    run = cli.run(["show", "--output", "html", "--out", str(page), *argv])
    assert run.code == 0, run.err
    html = page.read_text()
    assert "<b>1</b> open pull request<" in html, html[:2000]


def test_fake_github_prints_no_traceback_when_a_client_hangs_up(
    make_forge: ForgeFactory, capfd: pytest.CaptureFixture[str]
) -> None:
    """`make bench` printed BrokenPipe/ConnectionReset tracebacks from the fake's server threads."""
    forge = make_forge("github", ["app000"])
    host, port = forge.fake.api_url.split("//", 1)[1].split("/", 1)[0].rsplit(":", 1)
    for _ in range(5):
        with socket.create_connection((host, int(port))) as conn:
            conn.sendall(b"GET /repos/acme/gitops/pulls HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{")
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")  # RST
    forge.fake.requests.clear()
    time.sleep(0.3)  # the server threads notice the reset
    err = capfd.readouterr().err
    assert "Traceback" not in err, err
