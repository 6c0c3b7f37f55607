"""Wording shared by every view: relative times, short digests, PR labels, lag text."""

from __future__ import annotations

import re
from datetime import datetime, timezone

from gitops_promotion.history.inventory import Cell, Lag
from gitops_promotion.history.timeline import Change, Image

_UNITS = ((86400 * 365, "y"), (86400 * 30, "mo"), (86400 * 7, "w"), (86400, "d"), (3600, "h"), (60, "m"))


def ago(timestamp: int | None, now: int) -> str:
    """``3d ago``-style age of ``timestamp`` relative to ``now`` (both epoch seconds)."""
    if timestamp is None:
        return ""
    seconds = max(0, now - timestamp)
    for size, unit in _UNITS:
        if seconds >= size:
            return f"{seconds // size}{unit} ago"
    return "just now"


def iso(timestamp: int | None) -> str:
    if timestamp is None:
        return ""
    return datetime.fromtimestamp(timestamp, timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def short_digest(digest: str | None) -> str:
    return f"{digest[:15]}…" if digest and len(digest) > 16 else (digest or "")


def image_text(image: Image | None) -> str:
    if image is None:
        return "—"
    tag = image.tag or "(no tag)"
    return f"{tag}@{short_digest(image.digest)}" if image.digest else tag


def pr_label(change: Change | None) -> str:
    """``#12`` when the arrival commit names its PR, else the short commit."""
    if change is None:
        return ""
    number = change.commit.pr_number
    return f"#{number}" if number is not None else change.commit.sha[:8]


def lag_text(lag: Lag, now: int) -> str:
    if lag.state == "in-sync":
        return "in sync"
    if lag.state == "behind":
        count = "" if lag.versions is None else f"{lag.versions} version{'s' if lag.versions != 1 else ''}"
        since = f", {ago(lag.since, now).removesuffix(' ago')}" if lag.since is not None else ""
        return f"behind {count}{since}".strip()
    return {"differs": "differs from previous", "missing": "not deployed", "n/a": "", "first": ""}[lag.state]


def cell_text(cell: Cell, now: int) -> str:
    """One matrix cell on one line: ``1.2.3 (#12, 3d ago; behind 1 version, 2h)``."""
    if cell.image is None:
        return "—"
    when = ago(cell.arrived.commit.timestamp, now) if cell.arrived else ""
    parts = [p for p in (pr_label(cell.arrived), when) if p]
    lag = lag_text(cell.lag, now)
    detail = ", ".join(parts)
    if lag:
        detail = f"{detail}; {lag}" if detail else lag
    return f"{image_text(cell.image)} ({detail})" if detail else image_text(cell.image)


_USERINFO = re.compile(r"^(\w+://)[^/@]*@")


def web_base(remote_url: str) -> str | None:
    """The repository's web address from its remote (no credentials), for PR links; None when unknown."""
    url = _USERINFO.sub(r"\1", remote_url.strip())
    scp = re.match(r"^[\w.-]+@([\w.-]+):(.+)$", url)
    if scp:
        url = f"https://{scp.group(1)}/{scp.group(2)}"
    if not url.startswith(("https://", "http://")):
        return None
    return url.removesuffix("/").removesuffix(".git")


def pr_url(base: str | None, number: int | None) -> str | None:
    """GitHub ``/pull/N`` or Azure DevOps ``/pullrequest/N`` under the repository's web address."""
    if base is None or number is None:
        return None
    return f"{base}/pullrequest/{number}" if "/_git/" in base else f"{base}/pull/{number}"
