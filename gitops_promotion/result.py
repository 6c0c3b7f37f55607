"""What a command returns to the CLI: an outcome, the lines to print, and data for CI outputs and JSON."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Outcome = Literal[
    "opened", "updated", "merged", "nothing-to-do", "gate-open", "gate-closed", "skipped", "changed", "done"
]


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    message: str  # the one-line summary, printed last on stdout
    lines: tuple[str, ...] = ()  # printed before the message (e.g. "created branch <b> with pull request <n>")
    pr_number: int | None = None
    pr_url: str | None = None
    branch: str | None = None
    environment: str | None = None
    summary_md: str = ""  # markdown for CI job summaries
    data: dict[str, Any] = field(default_factory=dict)  # extra fields for --output json
    exit_code: int = 0

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "result": self.outcome,
            "message": self.message,
            "pr_number": self.pr_number,
            "pr_url": self.pr_url,
            "branch": self.branch,
            "environment": self.environment,
            "exit_code": self.exit_code,
        }
        out.update(self.data)
        return out
