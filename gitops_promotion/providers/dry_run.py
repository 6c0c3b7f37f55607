"""A provider wrapper for ``--dry-run``: reads go to the forge, writes are only described (issue 14, item 2).

Every command that opens, updates, merges or posts through a provider gets this wrapper when the run is a dry
run, so no command needs its own "if dry run" around each forge call: it runs its whole logic, and ``calls``
lists what the real run would have done.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from gitops_promotion.providers.base import (
    AutoMergeOutcome,
    CommitStatus,
    MergeMethod,
    Provider,
    PullRequest,
    StatusState,
)

DRY_RUN_URL = "(dry run: no pull request opened)"


class DryRunProvider:
    """Passes reads to ``inner``; records each write in ``calls`` and answers as the forge would have."""

    def __init__(self, inner: Provider) -> None:
        self._inner = inner
        self.name = inner.name
        self.calls: list[str] = []

    def __getattr__(self, attr: str) -> Any:
        # Read-only extras (doctor's settings_checks, the Azure clients `show` uses) pass through unchanged.
        return getattr(self._inner, attr)

    def git_auth_header(self) -> str | None:
        return self._inner.git_auth_header()

    def find_open_pr(self, head: str, base: str) -> PullRequest | None:
        return self._inner.find_open_pr(head, base)

    def get_pr(self, number: int) -> PullRequest:
        return self._inner.get_pr(number)

    def pr_for_commit(self, sha: str, base: str) -> PullRequest | None:
        return self._inner.pr_for_commit(sha, base)

    def list_open_prs(self, head_prefix: str | tuple[str, ...]) -> list[PullRequest]:
        return self._inner.list_open_prs(head_prefix)

    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        return self._inner.commit_statuses(sha)

    def create_pr(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        self.calls.append(f"would open a pull request from {head} into {base}: {title}")
        return PullRequest(0, title, body, head, base, "open", DRY_RUN_URL)

    def update_pr(self, pr: PullRequest, *, title: str, body: str) -> PullRequest:
        self.calls.append(f"would update pull request {pr.number} ({pr.head} into {pr.base}): {title}")
        return replace(pr, title=title, body=body)

    def set_auto_merge(
        self, pr: PullRequest, *, enabled: bool, merge_method: MergeMethod, delete_branch: bool = True
    ) -> AutoMergeOutcome:
        if not enabled and not pr.auto_merge:
            return "unchanged"
        what = f"turn auto-merge on ({merge_method})" if enabled else "turn auto-merge off"
        self.calls.append(f"would {what} for pull request {pr.number or '(new)'}")
        return "enabled" if enabled else "disabled"

    def report_gate(self, pr: PullRequest, *, state: StatusState, description: str) -> None:
        self.calls.append(f"would post the gate status {state!r} on pull request {pr.number}: {description}")
