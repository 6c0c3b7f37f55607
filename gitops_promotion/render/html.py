"""The dashboard: one self-contained HTML page (inline CSS and JS, no external assets) that works offline."""

from __future__ import annotations

import re
from html import escape

from gitops_promotion.history.inventory import Cell, Inventory, Pending
from gitops_promotion.history.timeline import AppKey, Change
from gitops_promotion.render.common import ago, iso, lag_text, pr_label, pr_url, short_digest
from gitops_promotion.render.dashboard_assets import CSS, JS

_DRIFT = ("behind", "differs", "missing")


def _anchor(key: AppKey) -> str:
    return "h-" + re.sub(r"[^A-Za-z0-9_-]", "-", f"{key[0]}--{key[1]}")


def _when(timestamp: int | None, now: int) -> str:
    if timestamp is None:
        return ""
    return f'<span data-ts="{timestamp}" title="{iso(timestamp)}">{ago(timestamp, now)}</span>'


def _link(label: str, url: str | None) -> str:
    return f'<a href="{escape(url)}">{escape(label)}</a>' if url else escape(label)


def _cell(cell: Cell, now: int, base: str | None) -> str:
    attrs = f'data-env="{escape(cell.env)}"'
    if cell.image is None:
        return f'<td class="cell empty" {attrs} data-tag="">—</td>'
    tag = cell.image.tag or "(no tag)"
    parts = [f'<div class="tag">{escape(tag)}</div>']
    if cell.image.digest:
        parts.append(
            f'<div class="digest" title="{escape(cell.image.digest)}">{escape(short_digest(cell.image.digest))}</div>'
        )
    if cell.arrived:
        commit = cell.arrived.commit
        link = _link(pr_label(cell.arrived), pr_url(base, commit.pr_number))
        parts.append(
            f'<div class="meta" title="{escape(commit.subject)}">{link} · {_when(commit.timestamp, now)}</div>'
        )
    lag = lag_text(cell.lag, now)
    if lag:
        parts.append(f'<span class="badge lag-{cell.lag.state}">{escape(lag)}</span>')
    return f'<td class="cell" {attrs} data-tag="{escape(tag)}">{"".join(parts)}</td>'


def _matrix(inv: Inventory, base: str | None) -> str:
    now = inv.generated_at
    head = "".join(f'<th>{escape(e.name)}<br><span class="branch">{escape(e.branch)}</span></th>' for e in inv.envs)
    rows = []
    for key in inv.apps:
        cells = [inv.cell(key, e.name) for e in inv.envs]
        drift = "1" if any(c.lag.state in _DRIFT for c in cells) else "0"
        anchor = _anchor(key)
        name = (
            f'<a href="#{anchor}" data-open="{anchor}"><span class="group">{escape(key[0])}/</span>{escape(key[1])}</a>'
        )
        rows.append(
            f'<tr data-app="{escape(key[0])}/{escape(key[1])}" data-drift="{drift}">'
            f'<td class="app">{name}</td>' + "".join(_cell(c, now, base) for c in cells) + "</tr>"
        )
    return (
        f'<div class="card"><table id="matrix"><thead><tr><th>App</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table></div>"
    )


def _pending(items: list[Pending], now: int) -> str:
    if not items:
        return '<p class="sub">No open promotion pull requests.</p>'
    rows = []
    for p in items:
        cls = ' class="failed"' if p.gate == "closed" else ""
        label = "no gate" if p.gate == "n/a" else f"gate {p.gate}"
        gate = f'<span class="badge gate-{p.gate}" title="{escape(p.gate_detail)}">{escape(label)}</span>'
        if p.gate == "closed":
            gate += f'<div class="meta">{escape(p.gate_detail)}</div>'
        rows.append(
            f'<tr{cls} data-pr="{p.number}"><td>{_link(f"#{p.number}", p.url)}</td><td>{escape(p.kind)}</td>'
            f'<td>{escape(p.group)}/{escape(p.app)}</td><td class="tag">{escape(p.tag)}</td>'
            f"<td>{escape(p.env)}</td><td>{gate}</td><td>{_when(p.created_at, now)}</td></tr>"
        )
    return (
        '<div class="card pending"><table><thead><tr><th>PR</th><th>Type</th><th>App</th><th>Tag</th>'
        f"<th>Into</th><th>Gate</th><th>Opened</th></tr></thead><tbody>{''.join(rows)}</tbody></table></div>"
    )


def _history_row(change: Change, now: int, base: str | None) -> str:
    commit = change.commit
    tag = "removed" if change.image is None else (change.image.tag or "(no tag)")
    before = change.previous.tag if change.previous and change.previous.tag else "—"
    number = commit.pr_number
    link = _link(f"#{number}", pr_url(base, number)) if number is not None else "—"  # the commit has a column
    return (
        f'<tr><td>{escape(change.env)}</td><td class="tag">{escape(tag)}</td>'
        f'<td class="sub">{escape(before)}</td><td>{link}</td>'
        f"<td>{escape(commit.author)}</td><td>{_when(commit.timestamp, now)}</td>"
        f'<td class="mono" title="{escape(commit.subject)}">{commit.sha[:10]}</td></tr>'
    )


def _history(inv: Inventory, base: str | None) -> str:
    blocks = []
    for key in inv.apps:
        changes = list(reversed(inv.history.get(key, [])))
        rows = "".join(_history_row(c, inv.generated_at, base) for c in changes)
        count = f"{len(changes)} change{'s' if len(changes) != 1 else ''}"
        blocks.append(
            f'<details class="hist" id="{_anchor(key)}" data-app="{escape(key[0])}/{escape(key[1])}">'
            f'<summary>{escape(key[0])}/{escape(key[1])}<span class="sub">{count}</span></summary>'
            "<table><thead><tr><th>Env</th><th>Tag</th><th>Before</th><th>PR</th><th>By</th><th>When</th>"
            f"<th>Commit</th></tr></thead><tbody>{rows}</tbody></table></details>"
        )
    return "".join(blocks)


def render_html(inv: Inventory, *, title: str = "What runs where", base: str | None = None) -> str:
    """The whole page; ``base`` is the repository's web address for PR links (None: plain labels)."""
    now = inv.generated_at
    failed = [p for p in inv.pending if p.gate == "closed"]
    chips = [
        f'<span class="chip"><b>{len(inv.apps)}</b> apps</span>',
        f'<span class="chip"><b>{len(inv.envs)}</b> environments</span>',
    ]
    if inv.forge:
        count = len(inv.pending)
        chips.append(f'<span class="chip"><b>{count}</b> open pull request{"" if count == 1 else "s"}</span>')
    if failed:
        plural = "s" if len(failed) > 1 else ""
        chips.append(f'<span class="chip bad"><b>{len(failed)}</b> failed gate{plural}</span>')
    notes = "".join(f"<li>{escape(n)}</li>" for n in inv.notes)
    pending = _pending(inv.pending, now) if inv.forge else '<p class="sub">Pull requests not read.</p>'
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{CSS}</style></head>
<body data-ready="0"><header><h1>{escape(title)}</h1>
<div class="sub">Generated {iso(now)} by gitops-promotion</div>
<div class="chips">{"".join(chips)}</div></header>
<main>
<div class="toolbar"><input id="filter" type="search" placeholder="Filter apps…" aria-label="Filter apps">
<label><input id="drift" type="checkbox"> only apps that differ between environments</label>
<span class="sub"><span id="shown">{len(inv.apps)}</span> shown</span></div>
{_matrix(inv, base)}
<h2>Pending pull requests</h2>{pending}
<h2>History</h2>{_history(inv, base) or '<p class="sub">No history.</p>'}
{f'<h2>Notes</h2><ul class="notes">{notes}</ul>' if notes else ""}
</main><footer>Times are relative to when you opened the page; hover for the exact time.</footer>
<script>{JS}</script></body></html>
"""
