"""Gitea / Forgejo adapter: plain `requests` against the Gitea API v1 (GitHub-like pulls and commit statuses).

Targeted look-ups: ``pulls/{base}/{head}`` for the open PR of a branch, ``commits/{sha}/pull`` for the PR a
merge produced. Auto-merge is the merge endpoint with ``merge_when_checks_succeed`` (Gitea schedules the merge
until the branch protection's required status checks pass).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from gitops_promotion.errors import ProviderError, PullRequestExists, UsageError
from gitops_promotion.providers import ProviderSettings
from gitops_promotion.providers.base import (
    AutoMergeOutcome,
    Check,
    CommitStatus,
    MergeMethod,
    PRState,
    PullRequest,
    StatusState,
    newest_gate,
)
from gitops_promotion.providers.gitea_http import GiteaHttp, GiteaLocation, locate

PAGE = 50  # Gitea's default MAX_RESPONSE_ITEMS
MAX_PAGES = 20
GATE_CONTEXT = "gitops-promotion/gate"
_STATES: dict[str, StatusState] = {"success": "success", "failure": "failure", "error": "failure"}
_GATE_STATES = {"success": "success", "failure": "failure", "pending": "pending"}
_NOT_MERGEABLE = (
    "the repository's settings prevent it: allow the merge style in Settings > Repository > Pull Requests, "
    "protect the target branch with the required status check, and check that the token may merge"
)


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _to_pr(data: dict[str, Any]) -> PullRequest:
    merged = bool(data.get("merged"))
    state: PRState = "merged" if merged else ("open" if data.get("state") == "open" else "closed")
    return PullRequest(
        number=int(data["number"]),
        title=str(data.get("title") or ""),
        body=str(data.get("body") or ""),
        head=str((data.get("head") or {}).get("ref") or ""),
        base=str((data.get("base") or {}).get("ref") or ""),
        state=state,
        url=str(data.get("html_url") or ""),
        head_sha=(data.get("head") or {}).get("sha"),
        merge_commit=data.get("merge_commit_sha") if merged else None,
        author=(data.get("user") or {}).get("login"),
        merged_by=(data.get("merged_by") or {}).get("login"),
        merged_at=_time(data.get("merged_at")),
        created_at=_time(data.get("created_at")),
    )


class GiteaProvider:
    """The Provider Protocol over one Gitea or Forgejo repository.

    Gitea's PR payload does not say whether an auto-merge is scheduled, so ``PullRequest.auto_merge`` is always
    False here: enabling is re-sent on every run (Gitea answers 409 "already scheduled", taken as enabled), and
    turning a scheduled auto-merge off happens only when the caller knows it was on.
    """

    name = "gitea"

    def __init__(self, http: GiteaHttp, location: GiteaLocation, token: str) -> None:
        self._http = http
        self._location = location
        self._token = token
        self.warnings: list[str] = []

    def _url(self, tail: str) -> str:
        return self._location.repo_path(tail)

    def git_auth_header(self) -> str | None:
        # Gitea reads the user name as a token when the password is "x-oauth-basic".
        basic = base64.b64encode(f"{self._token}:x-oauth-basic".encode()).decode()
        return f"Authorization: Basic {basic}"

    # -- pull requests ---------------------------------------------------------------------------------------
    def find_open_pr(self, head: str, base: str) -> PullRequest | None:
        # Gitea routes /pulls/{base}/* so the head may hold slashes; the base may not.
        url = self._url(f"/pulls/{quote(base, safe='')}/{quote(head, safe='/')}")
        answer = self._http.call(f"look up the pull request {head} -> {base}", "GET", url, ok=(200, 404))
        if answer.status_code == 404:
            return None
        pr = _to_pr(answer.json())
        return pr if pr.state == "open" else None

    def create_pr(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        data = {"head": head, "base": base, "title": title, "body": body}
        try:
            answer = self._http.call(f"create a pull request {head} -> {base}", "POST", self._url("/pulls"), json=data)
        except ProviderError as exc:
            if ": 409 " in exc.message:
                raise PullRequestExists(exc.message) from None
            raise
        return _to_pr(answer.json())

    def update_pr(self, pr: PullRequest, *, title: str, body: str) -> PullRequest:
        url = self._url(f"/pulls/{pr.number}")
        answer = self._http.call(f"update pull request #{pr.number}", "PATCH", url, json={"title": title, "body": body})
        return _to_pr(answer.json())

    def get_pr(self, number: int) -> PullRequest:
        return _to_pr(self._http.call(f"read pull request #{number}", "GET", self._url(f"/pulls/{number}")).json())

    def current_gate(self, pr: PullRequest) -> tuple[StatusState, str] | None:
        """The newest gate verdict the tool posted on the PR's head commit."""
        sha = pr.head_sha or self.get_pr(pr.number).head_sha
        return newest_gate(self.commit_statuses(sha)) if sha else None

    def pr_labels(self, pr: PullRequest) -> frozenset[str]:
        """The labels a person set on the PR (the override label passes the gate)."""
        data = self._http.call(
            f"read the labels of pull request #{pr.number}", "GET", self._url(f"/pulls/{pr.number}")
        ).json()
        return frozenset(str(item.get("name", "")) for item in data.get("labels") or [] if isinstance(item, dict))

    def list_open_prs(self, head_prefix: str | tuple[str, ...]) -> list[PullRequest]:
        found: list[PullRequest] = []
        for page in range(1, MAX_PAGES + 1):
            params = {"state": "open", "limit": PAGE, "page": page}
            items = self._http.call("list open pull requests", "GET", self._url("/pulls"), params=params).json()
            found.extend(_to_pr(item) for item in items)
            if len(items) < PAGE:
                break
        return [pr for pr in found if pr.head.startswith(head_prefix)]

    def pr_for_commit(self, sha: str, base: str) -> PullRequest | None:
        url = self._url(f"/commits/{sha}/pull")
        answer = self._http.call(f"find the pull request of commit {sha[:12]}", "GET", url, ok=(200, 404))
        if answer.status_code == 404:
            return None
        pr = _to_pr(answer.json())
        return pr if pr.state == "merged" and pr.base == base else None

    # -- auto-merge ------------------------------------------------------------------------------------------
    def set_auto_merge(
        self, pr: PullRequest, *, enabled: bool, merge_method: MergeMethod, delete_branch: bool = True
    ) -> AutoMergeOutcome:
        """``delete_branch`` -> delete_branch_after_merge; ``merge_method`` -> Gitea's merge style ``Do``."""
        if not enabled and not pr.auto_merge:
            return "unchanged"
        url = self._url(f"/pulls/{pr.number}/merge")
        if not enabled:
            self._http.call(f"cancel auto-merge of #{pr.number}", "DELETE", url, ok=(204, 404))
            return "disabled"
        data: dict[str, Any] = {
            "Do": merge_method,
            "merge_when_checks_succeed": True,
            "delete_branch_after_merge": delete_branch,
            **({"head_commit_id": pr.head_sha} if pr.head_sha else {}),
        }
        try:
            answer = self._http.call(f"schedule auto-merge of #{pr.number}", "POST", url, json=data)
        except ProviderError as exc:
            if ": 409 " in exc.message and "scheduled" in exc.message.lower():
                return "enabled"
            if ": 405 " in exc.message:
                raise ProviderError(f"{exc.message}; {_NOT_MERGEABLE}") from None
            raise
        # 201: scheduled until the required checks pass; 200: the checks were green and it merged now.
        return "enabled" if answer.status_code == 201 else "merged"

    # -- statuses --------------------------------------------------------------------------------------------
    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        items: list[dict[str, Any]] = []
        for page in range(1, MAX_PAGES + 1):
            params = {"sort": "highestindex", "limit": PAGE, "page": page}
            batch = self._http.call(
                f"read the statuses of {sha[:12]}", "GET", self._url(f"/commits/{sha}/statuses"), params=params
            ).json()
            items.extend(batch)
            if len(batch) < PAGE:
                break
        statuses = [
            CommitStatus(
                context=str(item.get("context") or ""),
                state=_STATES.get(str(item.get("status") or item.get("state")), "pending"),
                created_at=_time(item.get("created_at")) or datetime.min,
                description=str(item.get("description") or ""),
                target_url=item.get("target_url"),
            )
            for item in items
        ]
        return sorted(statuses, key=lambda s: s.created_at, reverse=True)

    def report_gate(self, pr: PullRequest, *, state: StatusState, description: str) -> None:
        """Post ``gitops-promotion/gate`` on the PR head, for branch protection to require."""
        sha = pr.head_sha or self.get_pr(pr.number).head_sha
        if not sha:
            return
        data = {"state": _GATE_STATES[state], "context": GATE_CONTEXT, "description": description[:255]}
        self._http.call(f"post the gate status on #{pr.number}", "POST", self._url(f"/statuses/{sha}"), json=data)

    # -- doctor ----------------------------------------------------------------------------------------------
    def settings_checks(self, *, base_branches: list[str], required_check: str) -> list[Check]:
        """Push rights, and each base branch protected with the gate status (GET repo, branch_protections)."""
        repo = self._http.call("read the repository", "GET", self._url("")).json()
        name = f"{self._location.owner}/{self._location.repo}"
        checks = [
            Check(
                "token can push and merge",
                bool((repo.get("permissions") or {}).get("push")),
                name,
                fix="use a token of a user with write access (scope write:repository)",
            )
        ]
        for branch in base_branches:
            url = self._url(f"/branch_protections/{quote(branch, safe='')}")
            answer = self._http.call(f"read the protection of {branch}", "GET", url, ok=(200, 403, 404))
            data = answer.json() if answer.status_code == 200 else {}
            contexts = data.get("status_check_contexts") or [] if data.get("enable_status_check") else []
            checks.append(
                Check(
                    f"branch protection on {branch} requires '{GATE_CONTEXT}'",
                    GATE_CONTEXT in contexts,
                    f"required: {', '.join(contexts) or 'none'}",
                    fix=f"protect {branch}: enable status checks with the context '{GATE_CONTEXT}'",
                    blocking=answer.status_code != 403,  # reading protection needs admin rights
                )
            )
        return checks


def build(settings: ProviderSettings, *, sleep: Callable[[float], None] = time.sleep) -> GiteaProvider:
    """Locate the repository and API; the token from --token, GITEA_TOKEN or FORGEJO_TOKEN."""
    location = locate(settings.remote_url, settings.environ, settings.api_url)
    token = settings.token or settings.environ.get("GITEA_TOKEN") or settings.environ.get("FORGEJO_TOKEN")
    if not token:
        msg = "no Gitea token: pass --token or set GITEA_TOKEN (a token with write:repository scope)"
        raise UsageError(msg)
    return GiteaProvider(GiteaHttp(token, sleep=sleep), location, token)


if TYPE_CHECKING:  # mypy holds the adapter to the Protocol commands use it through
    from gitops_promotion.providers.base import Provider

    def _conforms(provider: GiteaProvider) -> Provider:
        return provider
