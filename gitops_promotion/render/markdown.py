"""The markdown view, for CI job summaries and PR comments."""

from __future__ import annotations

from gitops_promotion.history.inventory import Cell, Inventory
from gitops_promotion.render.common import ago, image_text, lag_text, pr_label, pr_url

_GATE_ICON = {"open": "✅ open", "closed": "❌ closed", "waiting": "⏳ waiting", "n/a": "—"}


def _esc(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _cell(cell: Cell, now: int, base: str | None) -> str:
    if cell.image is None:
        return "—"
    parts = [f"`{_esc(image_text(cell.image))}`"]
    if cell.arrived:
        label = pr_label(cell.arrived)
        link = pr_url(base, cell.arrived.commit.pr_number)
        parts.append(f"[{label}]({link})" if link else label)
        parts.append(ago(cell.arrived.commit.timestamp, now))
    lag = lag_text(cell.lag, now)
    if lag:
        parts.append(f"**{lag}**" if cell.lag.state in ("behind", "differs") else lag)
    return " · ".join(parts)


def render_markdown(inv: Inventory, base: str | None = None) -> str:
    now = inv.generated_at
    out = ["### What runs where", ""]
    if inv.apps:
        out.append("| App | " + " | ".join(e.name for e in inv.envs) + " |")
        out.append("|---" * (len(inv.envs) + 1) + "|")
        for group, app in inv.apps:
            cells = [_cell(inv.cell((group, app), e.name), now, base) for e in inv.envs]
            out.append(f"| {_esc(group)}/{_esc(app)} | " + " | ".join(cells) + " |")
    else:
        out.append("_No image markers found._")
    if inv.pending:
        out += ["", "#### Open pull requests", "", "| PR | Type | App | Tag | To | Gate |", "|---|---|---|---|---|---|"]
        for p in inv.pending:
            out.append(
                f"| [#{p.number}]({p.url}) | {p.kind} | {_esc(p.group)}/{_esc(p.app)} "
                f"| `{_esc(p.tag)}` | {p.env} | {_GATE_ICON[p.gate]} |"
            )
    if inv.notes:
        out.append("")
        out += [f"> {_esc(note)}" for note in inv.notes]
    return "\n".join(out) + "\n"
