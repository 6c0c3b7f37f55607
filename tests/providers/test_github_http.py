"""What the fake GitHub never does, from a small real HTTP server: paged listings with Link headers (the fake
answers one page), and an error page that is not JSON (a proxy's or GHES's HTML)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from gitops_promotion.errors import ProviderError
from gitops_promotion.providers import ProviderSettings
from gitops_promotion.providers.github import GitHubProvider, build

TOKEN = "ghp_HTTP0TEST0TOKEN0000000000000000000000"


def _pull(number: int, head: str) -> dict[str, Any]:
    return {
        "number": number,
        "title": f"PR {number}",
        "body": None,
        "state": "open",
        "html_url": f"https://github.example/acme/gitops/pull/{number}",
        "head": {"ref": head, "sha": f"{number:040x}"},
        "base": {"ref": "main"},
        "user": {"login": "gitops-bot"},
        "created_at": "2026-01-02T03:04:05Z",
        "merged_at": None,
        "auto_merge": None,
        "node_id": f"PR_{number}",
    }


class _Server(ThreadingHTTPServer):
    pages: dict[str, list[dict[str, Any]]]
    seen: list[tuple[str, str, str | None, str | None]]  # (method, path, Authorization, User-Agent)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        self.server.seen.append(("GET", self.path, self.headers["Authorization"], self.headers["User-Agent"]))
        if self.path.startswith("/repos/acme/gitops/pulls?state=open"):
            page = "2" if "page=2" in self.path else "1"
            link = f'<http://{self.headers["Host"]}/repos/acme/gitops/pulls?state=open&page=2>; rel="next"'
            self._send(200, json.dumps(self.server.pages[page]).encode(), {"Link": link} if page == "1" else {})
        else:
            self._send(502, b"<html><body>\n<h1>502 Bad Gateway</h1>\n</body></html>", {"Content-Type": "text/html"})

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the test reads ``server.seen``."""


@pytest.fixture
def server() -> Iterator[_Server]:
    httpd = _Server(("127.0.0.1", 0), _Handler)
    httpd.pages = {"1": [_pull(1, "promote/apps-a"), _pull(2, "feature/x")], "2": [_pull(3, "promote/apps-b")]}
    httpd.seen = []
    thread = threading.Thread(target=httpd.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _provider(server: _Server, tmp_path: Path) -> GitHubProvider:
    environ = {"GITHUB_REPOSITORY": "acme/gitops", "GITHUB_API_URL": f"http://127.0.0.1:{server.server_port}"}
    settings = ProviderSettings(repo_root=tmp_path, remote_url=str(tmp_path), environ=environ, token=TOKEN)
    return build(settings, sleep=lambda _: None)


def test_listings_follow_the_link_header_to_the_last_page(server: _Server, tmp_path: Path) -> None:
    found = _provider(server, tmp_path).list_open_prs("promote/")
    assert [(p.number, p.head, p.body, p.author) for p in found] == [
        (1, "promote/apps-a", "", "gitops-bot"),
        (3, "promote/apps-b", "", "gitops-bot"),
    ]
    assert [s[1] for s in server.seen] == [
        "/repos/acme/gitops/pulls?state=open",
        "/repos/acme/gitops/pulls?state=open&page=2",
    ]
    # The headers PyGithub sent, which proxies and GHES installations may rely on.
    assert {(s[2], s[3]) for s in server.seen} == {(f"token {TOKEN}", "gitops-promotion")}


def test_an_html_error_page_is_worded_on_one_line_without_the_token(server: _Server, tmp_path: Path) -> None:
    with pytest.raises(ProviderError) as caught:
        _provider(server, tmp_path).get_pr(7)
    message = caught.value.message
    assert message.startswith("GitHub refused to read pull request #7: 502 <html><body> <h1>502 Bad Gateway</h1>")
    assert "\n" not in message
    assert TOKEN not in message
    assert len(server.seen) == 5  # 5xx is retried, then given up


def test_the_token_is_never_sent_to_another_host() -> None:
    """A next-page link (or any absolute URL) on another host than the API's is refused before anything is sent."""
    from gitops_promotion.providers.github_http import GitHubHTTP, GitHubHTTPError

    http = GitHubHTTP("https://api.github.example", TOKEN)
    for elsewhere in ("https://collector.example/repos/acme/gitops/pulls?page=2", "http://api.github.example/x"):
        with pytest.raises(GitHubHTTPError, match="refused to send the token to another host") as caught:
            http.request("GET", elsewhere)
        assert TOKEN not in str(caught.value)
