"""The terminal view: an aligned app x environment table, then open PRs and notes."""

from __future__ import annotations

from gitops_promotion.history.inventory import Inventory
from gitops_promotion.render.common import ago, cell_text


def table(rows: list[list[str]]) -> list[str]:
    """Rows of cells padded into columns (two spaces apart), without trailing blanks."""
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in rows]


def render_text(inv: Inventory) -> list[str]:
    now = inv.generated_at
    lines: list[str] = []
    if inv.apps:
        mixed = len({e.branch for e in inv.envs}) > 1  # name each env's branch when they differ
        header = ["APP", *(f"{e.name} [{e.branch}]" if mixed else e.name for e in inv.envs)]
        rows = [[f"{g}/{a}", *(cell_text(inv.cell((g, a), e.name), now) for e in inv.envs)] for g, a in inv.apps]
        lines += table([header, *rows])
    else:
        lines.append("no image markers found")
    if inv.pending:
        lines += ["", "open pull requests:"]
        rows = [
            [
                f"#{p.number}",
                p.kind,
                f"{p.group}/{p.app}",
                p.tag,
                f"→ {p.env}",
                f"gate {p.gate}",
                ago(p.created_at, now),
            ]
            for p in inv.pending
        ]
        lines += [f"  {line}" for line in table(rows)]
    lines += [f"note: {note}" for note in inv.notes]
    return lines
