"""What the fake GitHub remembers: PRs, statuses, settings, tokens; and its merge and auto-merge rules."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from tests.forge.github_git import BareRepo, MergeConflictError
from tests.forge.github_payloads import FakePR, FakeStatus, RepoSettings

MERGE_METHODS = ("merge", "squash", "rebase")


class ForgeRefusalError(Exception):
    """GitHub would refuse this: ``status`` is the HTTP code, ``message`` GitHub's wording."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _now() -> datetime:
    return datetime.now(timezone.utc)


class GitHubState:
    """Domain state of one repository; every public method is called under ``lock``."""

    def __init__(self, bare: Path, settings: RepoSettings, clock: Callable[[], datetime] = _now) -> None:
        self.git = BareRepo(bare)
        self.settings = settings
        self.clock = clock
        self.lock = threading.RLock()
        self.pulls: dict[int, FakePR] = {}
        self.statuses: list[FakeStatus] = []
        self._next_number = 1

    # -- pull requests ---------------------------------------------------------------------------------------
    def head_sha(self, pr: FakePR) -> str:
        if pr.state != "open" and pr.head_sha:
            return pr.head_sha
        return self.git.sha(pr.head) or pr.head_sha or ""

    def base_sha(self, pr: FakePR) -> str:
        return self.git.sha(pr.base) or ""

    def create_pull(self, *, title: str, head: str, base: str, body: str, user: str) -> FakePR:
        head = head.split(":", 1)[-1]
        if self.git.sha(head) is None:
            raise ForgeRefusalError(422, "Validation Failed: head invalid")
        if self.git.sha(base) is None:
            raise ForgeRefusalError(422, "Validation Failed: base invalid")
        for pr in self.pulls.values():
            if pr.state == "open" and pr.head == head and pr.base == base:
                raise ForgeRefusalError(422, f"A pull request already exists for {head}.")
        if not self.git.commits_between(base, head):
            raise ForgeRefusalError(422, f"No commits between {base} and {head}")
        now = self.clock()
        pr = FakePR(self._next_number, title, body, head, base, user, now, now)
        self.pulls[pr.number] = pr
        self._next_number += 1
        return pr

    def pull(self, number: int) -> FakePR:
        try:
            return self.pulls[number]
        except KeyError:
            raise ForgeRefusalError(404, "Not Found") from None

    def list_pulls(self, *, state: str, head: str | None, base: str | None) -> list[FakePR]:
        found = []
        for pr in sorted(self.pulls.values(), key=lambda p: p.number, reverse=True):
            if state not in {"all", pr.state}:
                continue
            if head is not None and f"{pr.head}" != head.split(":", 1)[-1]:
                continue
            if base is not None and pr.base != base:
                continue
            found.append(pr)
        return found

    def pulls_for_commit(self, sha: str) -> list[FakePR]:
        """PRs whose merge produced ``sha`` or whose head is ``sha`` (GitHub's commits/{sha}/pulls)."""
        full = self.git.git("rev-parse", "--verify", "--quiet", f"{sha}^{{commit}}", check=False)
        if not full:
            raise ForgeRefusalError(422, f"No commit found for SHA: {sha}")
        return [p for p in self.pulls.values() if full in (p.merge_commit_sha, self.head_sha(p))]

    def merge(self, pr: FakePR, *, method: str, actor: str, expected_sha: str | None = None) -> str:
        """Merge like the button; refuses what GitHub refuses (closed, stale sha, red required checks)."""
        if pr.state != "open":
            raise ForgeRefusalError(405, "Pull Request is not mergeable")
        if not getattr(self.settings, f"allow_{'merge_commit' if method == 'merge' else method + '_merge'}"):
            raise ForgeRefusalError(405, f"{method.capitalize()} merges are not allowed on this repository.")
        head_sha = self.head_sha(pr)
        if expected_sha and expected_sha != head_sha:
            raise ForgeRefusalError(409, "Head branch was modified. Review and try the merge again.")
        missing = self.failing_checks(pr)
        if missing:
            raise ForgeRefusalError(405, f'Required status check "{missing[0]}" is expected.')
        try:
            sha = self.git.merge(
                base=pr.base,
                head_sha=head_sha,
                method=method,
                title=f"Merge pull request #{pr.number} from {pr.head}" if method == "merge" else pr.title,
                message=pr.title if method == "merge" else "",
            )
        except MergeConflictError:
            raise ForgeRefusalError(405, "Pull Request is not mergeable") from None
        now = self.clock()
        pr.head_sha, pr.state, pr.merged, pr.merge_commit_sha = head_sha, "closed", True, sha
        pr.merged_at = pr.closed_at = pr.updated_at = now
        pr.merged_by, pr.auto_merge = actor, None
        return sha

    # -- statuses and auto-merge -----------------------------------------------------------------------------
    def add_status(
        self,
        sha: str,
        *,
        context: str,
        state: str,
        creator: str,
        description: str | None = None,
        target_url: str | None = None,
    ) -> FakeStatus:
        status = FakeStatus(len(self.statuses) + 1, sha, context, state, self.clock(), creator, description, target_url)
        self.statuses.append(status)
        return status

    def statuses_for(self, sha: str) -> list[FakeStatus]:
        return sorted((s for s in self.statuses if s.sha == sha), key=lambda s: s.id, reverse=True)

    def failing_checks(self, pr: FakePR) -> list[str]:
        """Required contexts of the base branch that are not green on the PR head (newest status wins)."""
        required = self.settings.protection.get(pr.base, [])
        newest: dict[str, str] = {}
        for status in self.statuses_for(self.head_sha(pr)):
            newest.setdefault(status.context, status.state)
        return [c for c in required if newest.get(c) != "success"]

    def optional_not_green(self, pr: FakePR) -> list[str]:
        """Contexts on the PR head that the base does not require and that are not green (newest wins)."""
        required = self.settings.protection.get(pr.base, [])
        newest: dict[str, str] = {}
        for status in self.statuses_for(self.head_sha(pr)):
            newest.setdefault(status.context, status.state)
        return [c for c, state in newest.items() if c not in required and state != "success"]

    def enable_auto_merge(self, pr: FakePR, *, method: str, actor: str) -> None:
        """GitHub's enablePullRequestAutoMerge rules, with its error wording."""
        if pr.state != "open":
            raise ForgeRefusalError(422, "Pull request is not open")
        if not self.settings.allow_auto_merge:
            raise ForgeRefusalError(422, "Auto merge is not allowed for this repository")
        if not getattr(self.settings, f"allow_{'merge_commit' if method == 'merge' else method + '_merge'}"):
            raise ForgeRefusalError(422, f"Merge method {method} merging is not allowed on this repository")
        if pr.base not in self.settings.protection:
            raise ForgeRefusalError(422, "Pull request Protected branch rules not configured for this branch")
        if not self.failing_checks(pr) and self.git.mergeable(pr.base, self.head_sha(pr)):
            # "unstable": required checks are green but an optional one is not; GitHub queues neither.
            status = "unstable" if self.optional_not_green(pr) else "clean"
            raise ForgeRefusalError(422, f"Pull request is in {status} status")
        pr.auto_merge = {"merge_method": method, "enabled_by": actor}

    def disable_auto_merge(self, pr: FakePR) -> None:
        pr.auto_merge = None

    def tick(self) -> list[int]:
        """Merge every auto-merge PR whose required checks are green; returns the merged numbers."""
        merged = []
        for pr in sorted(self.pulls.values(), key=lambda p: p.number):
            if pr.state == "open" and pr.auto_merge and not self.failing_checks(pr):
                try:
                    self.merge(pr, method=pr.auto_merge["merge_method"], actor=pr.auto_merge["enabled_by"])
                except ForgeRefusalError:
                    continue  # a conflict keeps the PR open with auto-merge on, as on GitHub
                merged.append(pr.number)
        return merged
