"""Wording helpers and links: relative times, lag text, PR links that never carry credentials."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.history.inventory import Lag
from gitops_promotion.render.common import ago, lag_text, pr_url, web_base


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0, "just now"),
        (59, "just now"),
        (60, "1m ago"),
        (7200, "2h ago"),
        (86400 * 3, "3d ago"),
        (86400 * 14, "2w ago"),
        (86400 * 400, "1y ago"),
        (-5, "just now"),
    ],
)
def test_ago(seconds: int, text: str) -> None:
    assert ago(1_000_000 - seconds, 1_000_000) == text


def test_lag_text() -> None:
    assert lag_text(Lag("behind", versions=1, since=0), 7200) == "behind 1 version, 2h"
    assert lag_text(Lag("behind", versions=3, since=None), 0) == "behind 3 versions"
    assert lag_text(Lag("in-sync", versions=0), 0) == "in sync"
    assert lag_text(Lag("first"), 0) == ""


@pytest.mark.parametrize(
    ("remote", "base"),
    [
        ("https://x-access-token:ghs_SECRET@github.com/acme/gitops.git", "https://github.com/acme/gitops"),
        ("git@github.com:acme/gitops.git", "https://github.com/acme/gitops"),
        ("https://org@dev.azure.com/org/proj/_git/repo", "https://dev.azure.com/org/proj/_git/repo"),
        ("/srv/git/gitops.git", None),
    ],
)
def test_links_never_carry_credentials(remote: str, base: str | None) -> None:
    assert web_base(remote) == base
    assert "SECRET" not in str(pr_url(web_base(remote), 3))


def test_pr_url_per_forge() -> None:
    assert pr_url("https://github.com/acme/gitops", 12) == "https://github.com/acme/gitops/pull/12"
    assert pr_url("https://dev.azure.com/o/p/_git/r", 12) == "https://dev.azure.com/o/p/_git/r/pullrequest/12"
    assert pr_url(None, 12) is None and pr_url("https://github.com/a/b", None) is None


def test_dashboard_escapes_repository_text(tmp_path: Path) -> None:
    from gitops_promotion.history.inventory import collect
    from gitops_promotion.render.html import render_html
    from tests.release.builders import T0, context, deployment, make_repo

    config = "environments:\n  - {name: dev}\n"
    evil = '"><script>alert(1)</script>'
    repo = make_repo(tmp_path, config, {"main": {"apps/dev/web.yaml": deployment("apps", "web", "1.0")}})
    repo.direct("main", {"apps/dev/web.yaml": deployment("apps", "web", "2.0")}, f"deploy {evil}", at=T0 + 60, who=evil)
    page = render_html(collect(context(repo.work), clock=lambda: T0 + 120))
    assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert page.count("<script>") == 1  # only the dashboard's own inline script
