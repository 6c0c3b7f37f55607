"""The provider Protocol and the dataclasses it speaks; SDK objects never cross this line (STYLE 4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, Protocol

# The commit status the tool posts on every promotion PR's head: THE check to require on protected branches.
from gitops_promotion.checks import GATE_CONTEXT

__all__ = ["GATE_CONTEXT", "OVERRIDE_LABEL"]

PRState = Literal["open", "merged", "closed"]
StatusState = Literal["success", "failure", "pending"]
MergeMethod = Literal["merge", "squash", "rebase"]
AutoMergeOutcome = Literal["enabled", "disabled", "merged", "unchanged"]
# A person sets this label on a promotion PR to pass its gate (soak time, windows) on purpose.
OVERRIDE_LABEL = "gitops-promotion/override"


@dataclass(frozen=True)
class PullRequest:
    number: int
    title: str
    body: str
    head: str  # branch name without refs/heads/
    base: str
    state: PRState
    url: str
    head_sha: str | None = None
    merge_commit: str | None = None
    auto_merge: bool = False
    author: str | None = None
    merged_by: str | None = None
    merged_at: datetime | None = None
    created_at: datetime | None = None


@dataclass(frozen=True)
class CommitStatus:
    """One status on a commit. ``genre`` is Azure DevOps' status genre (None on GitHub)."""

    context: str
    state: StatusState
    created_at: datetime
    description: str = ""
    genre: str | None = None
    target_url: str | None = None


class Provider(Protocol):
    """What commands need from a forge. Every method raises ProviderError on API failure, never returns None
    to mean "failed"."""

    name: str

    def git_auth_header(self) -> str | None:
        """The ``Authorization: ...`` header git must send on push/fetch, or None when git needs none."""
        ...

    def find_open_pr(self, head: str, base: str) -> PullRequest | None:
        """The open PR from branch ``head`` into ``base`` (a targeted query, not a listing)."""
        ...

    def create_pr(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        """Open a PR; raises errors.PullRequestExists when one is already open for ``head`` into ``base``."""
        ...

    def update_pr(self, pr: PullRequest, *, title: str, body: str) -> PullRequest: ...

    def get_pr(self, number: int) -> PullRequest: ...

    def set_auto_merge(
        self, pr: PullRequest, *, enabled: bool, merge_method: MergeMethod, delete_branch: bool = True
    ) -> AutoMergeOutcome:
        """Turn auto-merge on or off. May merge at once when the forge says the PR is already mergeable.

        ``delete_branch`` asks the forge to delete the head branch on completion where it is a PR option
        (Azure DevOps); on GitHub it is the repository's "automatically delete head branches" setting.
        Makes no API call (returns "unchanged") when ``enabled`` is False and ``pr.auto_merge`` is already False.
        """
        ...

    def pr_for_commit(self, sha: str, base: str) -> PullRequest | None:
        """The merged PR into ``base`` whose merge produced commit ``sha`` (None for a direct push)."""
        ...

    def list_open_prs(self, head_prefix: str | tuple[str, ...]) -> list[PullRequest]:
        """Open PRs whose head branch starts with ``head_prefix`` (or one of several: one listing, for `show`)."""
        ...

    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        """All statuses on ``sha``, newest first; repeated calls use conditional requests where possible."""
        ...

    def report_gate(self, pr: PullRequest, *, state: StatusState, description: str) -> None:
        """Post the gate's verdict on the PR: the commit status GATE_CONTEXT on its head commit (GitHub), the
        PR status gitops-promotion/gate (Azure DevOps). ``description`` is one short line."""
        ...

    def current_gate(self, pr: PullRequest) -> tuple[StatusState, str] | None:
        """(state, description) of the newest gate verdict posted on ``pr``'s head, None when there is none."""
        ...

    def pr_labels(self, pr: PullRequest) -> frozenset[str]:
        """The names of the labels (Azure DevOps: tags) a person set on ``pr``."""
        ...


def newest_gate(statuses: list[CommitStatus]) -> tuple[StatusState, str] | None:
    """The newest GATE_CONTEXT status among a commit's statuses, as (state, description)."""
    mine = [s for s in statuses if s.context == GATE_CONTEXT]
    if not mine:
        return None
    newest = max(mine, key=lambda s: s.created_at)
    return newest.state, newest.description


@dataclass(frozen=True)
class Check:
    """One line of `doctor`'s checklist."""

    name: str
    ok: bool
    detail: str = ""
    fix: str = ""
    blocking: bool = True


class SupportsDoctor(Protocol):
    """Providers that can inspect forge settings for `doctor` (auto-merge allowed, branch protection...)."""

    def settings_checks(self, *, base_branches: list[str], required_check: str) -> list[Check]: ...
