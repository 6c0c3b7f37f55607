"""The HTML dashboard in a real headless Chromium: the matrix cells, the script, a screenshot."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from tests.release.browser import ensure_chromium, run_chromium
from tests.release.scenario import busy_repo

pytestmark = pytest.mark.browser


class Dom(HTMLParser):
    """Matrix cells, row visibility, pending PR rows and the body's attributes of a dumped DOM."""

    def __init__(self) -> None:
        super().__init__()
        self.body: dict[str, str | None] = {}
        self.rows: dict[str, str] = {}  # data-app -> class
        self.cells: dict[tuple[str, str], str] = {}  # (app, env) -> data-tag
        self.pending: list[str] = []
        self.failed: list[str] = []
        self._app = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "tr" and a.get("data-app") is not None:
            self._app = a["data-app"] or ""
            self.rows[self._app] = a.get("class") or ""
        elif tag == "td" and "cell" in (a.get("class") or "").split():
            self.cells[(self._app, a.get("data-env") or "")] = a.get("data-tag") or ""
        elif tag == "tr" and a.get("data-pr") is not None:
            self.pending.append(a["data-pr"] or "")
            if a.get("class") == "failed":
                self.failed.append(a["data-pr"] or "")


@pytest.mark.slow
def test_dashboard_in_headless_chromium(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    chromium = ensure_chromium()  # fails (never skips) when Chromium cannot be found or installed
    repo = busy_repo(tmp_path / "repo")
    page = tmp_path / "dashboard.html"
    assert (
        main(["show", "--output", "html", "--out", str(page), "--sourcedir", str(repo.work), "--provider", "local"])
        == 0
    )
    assert "wrote dashboard" in capsys.readouterr().out
    html = page.read_text()
    assert "http://" not in html.replace("http://adaptivecards", "") and "https://" not in html
    assert "<link" not in html and "src=" not in html  # self-contained: no external assets

    url = page.as_uri()
    dumped = run_chromium(chromium, tmp_path / "profile-1", "--dump-dom", url)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = Dom()
    dom.feed(dumped.stdout)
    assert dom.body.get("data-ready") == "1"  # the inline script ran without errors
    assert dom.cells == {
        ("apps/api", "dev"): "1.0",
        ("apps/api", "qa"): "1.0",
        ("apps/api", "prod"): "1.0",
        ("apps/web", "dev"): "1.1",
        ("apps/web", "qa"): "0.9",
        ("apps/web", "prod"): "1.0",
        ("team-b/worker", "dev"): "0.3.0",
        ("team-b/worker", "qa"): "",
        ("team-b/worker", "prod"): "",
    }
    assert dom.pending == ["2", "3"] and dom.failed == ["2"]
    assert all("hidden" not in cls for cls in dom.rows.values())

    filtered = run_chromium(chromium, tmp_path / "profile-2", "--dump-dom", url + "#q=web")
    dom = Dom()
    dom.feed(filtered.stdout)
    assert {app for app, cls in dom.rows.items() if "hidden" not in cls} == {"apps/web"}

    drift = run_chromium(chromium, tmp_path / "profile-drift", "--dump-dom", url + "#drift=1")
    dom = Dom()
    dom.feed(drift.stdout)
    assert {app for app, cls in dom.rows.items() if "hidden" not in cls} == {"apps/web", "team-b/worker"}

    shot = tmp_path / "dashboard.png"
    taken = run_chromium(chromium, tmp_path / "profile-3", f"--screenshot={shot}", "--window-size=1400,1000", url)
    assert taken.returncode == 0, taken.stderr[-2000:]
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
