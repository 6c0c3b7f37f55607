"""The markdown a CI job summary shows for one command: what was promoted where, the PR, gate details."""

from __future__ import annotations

from pathlib import Path

from gitops_promotion.errors import PromotionError
from gitops_promotion.result import Result

# The `result` output pipelines branch on has the documented values only: an internal "skipped" (e.g. a push
# that was no promotion merge) is, for them, nothing to do.
_OUTPUT_RESULTS = {"skipped": "nothing-to-do"}

_ICONS = {"gate-closed": "❌", "nothing-to-do": "⏭️", "skipped": "⏭️", "gate-open": "✅"}


def _cell(text: str) -> str:
    # A table cell ends at a pipe or newline; escape both so a message cannot break the table.
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\r", " ").replace("\n", " ")


def output_result(result: Result) -> str:
    """The value of the `result` step output / output variable."""
    return _OUTPUT_RESULTS.get(result.outcome, result.outcome)


def render_result(result: Result, *, command: str) -> str:
    """A markdown section for a finished command (ends with a newline)."""
    icon = _ICONS.get(result.outcome, "✅" if result.exit_code == 0 else "❌")
    out = [f"### {icon} gitops-promotion {command}: {result.outcome}", "", _cell(result.message), ""]
    rows: list[tuple[str, str]] = []
    for key in ("group", "app", "tag"):
        value = result.data.get(key)
        if value:
            rows.append((key.capitalize(), f"`{_cell(str(value))}`"))
    if result.environment:
        rows.append(("Environment", f"`{_cell(result.environment)}`"))
    if result.branch:
        rows.append(("Branch", f"`{_cell(result.branch)}`"))
    if result.pr_number is not None:
        label = f"#{result.pr_number}"
        rows.append(("Pull request", f"[{label}]({result.pr_url})" if result.pr_url else label))
    elif result.pr_url:
        rows.append(("Pull request", result.pr_url))
    if rows and not result.summary_md:  # a command's own summary already says what and where
        out += ["| | |", "|---|---|", *(f"| {name} | {value} |" for name, value in rows), ""]
    if result.summary_md:
        out += [result.summary_md.rstrip("\n"), ""]
    return "\n".join(out) + "\n"


def render_error(error: PromotionError, *, command: str | None = None, location: str | None = None) -> str:
    """A markdown section for a failed command."""
    title = f"gitops-promotion {command}" if command else "gitops-promotion"
    where = f" (`{_cell(location)}`)" if location else ""
    return f"### ❌ {title}: failed\n\n{_cell(error.message)}{where}\n"


def relative_path(path: str, root: str | None) -> str:
    """``path`` relative to the checkout ``root`` when inside it: annotations link files by that path."""
    candidate = Path(path)
    if root and candidate.is_absolute():
        try:
            return candidate.resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            return path
    return path
