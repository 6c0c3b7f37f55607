"""GitLab adapter over python-gitlab's HTTP layer (auth, retries, pagination); the only importer of it.

Every call is a targeted one (source+target branch filter, commits/:sha/merge_requests); the merge requests'
``iid`` is our PR number. benchmarks/bench_gitlab_requests.py counts the requests.
"""

from __future__ import annotations

import base64
import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

import gitlab
import requests
from gitlab.exceptions import GitlabError

from gitops_promotion.errors import ProviderError, PullRequestExists
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
from gitops_promotion.providers.gitlab_location import GitLabLocation, locate, resolve_token

TIMEOUT_S = 30
PER_PAGE = 100
MAX_RETRIES = 4
GATE_NAME = "gitops-promotion/gate"
# GitLab 17.11 renamed the merge endpoint's merge_when_pipeline_succeeds to auto_merge (the old one is deprecated).
AUTO_MERGE_SINCE = (17, 11)
# GitLab commit status states -> ours. canceled and skipped never prove a deployment: they fail closed.
_STATES: dict[str, StatusState] = {
    "success": "success",
    "failed": "failure",
    "canceled": "failure",
    "running": "pending",
    "pending": "pending",
    "created": "pending",
    "skipped": "pending",
}
# A waiting gate is posted as "running": it keeps the MR's pipeline open, so an armed auto-merge stays armed
# until the verdict (a "failed" external status fails the pipeline, and GitLab then drops auto-merge).
_GATE_STATES = {"success": "success", "failure": "failed", "pending": "running"}
_PR_STATES: dict[str, PRState] = {"opened": "open", "merged": "merged", "closed": "closed", "locked": "closed"}
_CANNOT_MERGE = (
    "the project's settings or merge checks prevent it: allow merging when the pipeline succeeds "
    "(Settings > Merge requests), make sure the merge request is not a draft, has no unresolved threads or "
    "missing approvals, and that a pipeline or the gate status runs for its head commit"
)


def _time(value: Any) -> datetime | None:
    return datetime.fromisoformat(str(value).replace("Z", "+00:00")) if value else None


def _to_pr(data: dict[str, Any]) -> PullRequest:
    state = _PR_STATES.get(str(data.get("state")), "closed")
    merged = state == "merged"
    # A squashed or fast-forwarded merge leaves no merge commit: the commit on the target is the squash commit
    # or the head itself.
    landed = data.get("merge_commit_sha") or data.get("squash_commit_sha") or data.get("sha")
    return PullRequest(
        number=int(data["iid"]),
        title=str(data.get("title") or ""),
        body=str(data.get("description") or ""),
        head=str(data["source_branch"]),
        base=str(data["target_branch"]),
        state=state,
        url=str(data.get("web_url") or ""),
        head_sha=data.get("sha"),
        merge_commit=str(landed) if merged and landed else None,
        auto_merge=bool(data.get("merge_when_pipeline_succeeds")) and state == "open",
        author=(data.get("author") or {}).get("username"),
        merged_by=((data.get("merged_by") or data.get("merge_user")) or {}).get("username"),
        merged_at=_time(data.get("merged_at")),
        created_at=_time(data.get("created_at")),
    )


def _to_status(item: dict[str, Any]) -> CommitStatus:
    return CommitStatus(
        context=str(item.get("name") or ""),
        state=_STATES.get(str(item.get("status")), "pending"),
        created_at=_time(item.get("created_at")) or datetime.min,
        description=str(item.get("description") or ""),
        target_url=item.get("target_url"),
    )


def _version(text: str) -> tuple[int, int]:
    match = re.match(r"(\d+)\.(\d+)", text)
    return (int(match[1]), int(match[2])) if match else (0, 0)


class GitLabProvider:
    """The Provider Protocol over one GitLab project."""

    name = "gitlab"

    def __init__(self, gl: gitlab.Gitlab, location: GitLabLocation, token: str) -> None:
        self._gl = gl
        self._location = location
        self._token = token
        self._project = f"/projects/{location.project_id}"
        self._auto_merge_field: str | None = None
        self.warnings: list[str] = []

    # -- plumbing --------------------------------------------------------------------------------------------
    def _call(self, what: str, verb: str, path: str, **kwargs: Any) -> Any:
        """One request through python-gitlab (it retries 5xx and 429 with Retry-After); errors -> ProviderError."""
        method = getattr(self._gl, f"http_{verb}")
        try:
            return method(self._project + path, max_retries=MAX_RETRIES, **kwargs)
        except GitlabError as exc:
            raise ProviderError(f"GitLab: could not {what} ({self._location.project}): {exc}") from None
        except requests.RequestException as exc:
            raise ProviderError(f"GitLab: could not {what}: {type(exc).__name__}") from None

    def git_auth_header(self) -> str | None:
        # GitLab's git over https takes any user name with an access token as the password; oauth2 is the usual.
        basic = base64.b64encode(f"oauth2:{self._token}".encode()).decode()
        return f"Authorization: Basic {basic}"

    # -- merge requests --------------------------------------------------------------------------------------
    def find_open_pr(self, head: str, base: str) -> PullRequest | None:
        query = {"state": "opened", "source_branch": head, "target_branch": base, "per_page": PER_PAGE}
        found = self._call(
            f"look up the open merge request {head} -> {base}",
            "list",
            "/merge_requests",
            query_data=query,
            get_all=False,
        )
        return _to_pr(found[0]) if found else None

    def create_pr(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        data = {"source_branch": head, "target_branch": base, "title": title, "description": body}
        try:
            created = self._call(f"open a merge request {head} -> {base}", "post", "/merge_requests", post_data=data)
        except ProviderError as exc:
            if "409" in exc.message and "already exists" in exc.message:
                raise PullRequestExists(exc.message) from None
            raise
        return _to_pr(created)

    def update_pr(self, pr: PullRequest, *, title: str, body: str) -> PullRequest:
        data = {"title": title, "description": body}
        updated = self._call(
            f"update merge request !{pr.number}", "put", f"/merge_requests/{pr.number}", post_data=data
        )
        return _to_pr(updated)

    def get_pr(self, number: int) -> PullRequest:
        return _to_pr(self._call(f"read merge request !{number}", "get", f"/merge_requests/{number}"))

    def current_gate(self, pr: PullRequest) -> tuple[StatusState, str] | None:
        """The newest gate verdict the tool posted on the PR's head commit."""
        sha = pr.head_sha or self.get_pr(pr.number).head_sha
        return newest_gate(self.commit_statuses(sha)) if sha else None

    def pr_labels(self, pr: PullRequest) -> frozenset[str]:
        """The labels a person set on the PR (the override label passes the gate)."""
        data = self._call(f"read the labels of merge request !{pr.number}", "get", f"/merge_requests/{pr.number}")
        return frozenset(str(name) for name in data.get("labels") or [])

    def list_open_prs(self, head_prefix: str | tuple[str, ...]) -> list[PullRequest]:
        found = self._call(
            "list open merge requests",
            "list",
            "/merge_requests",
            query_data={"state": "opened", "per_page": PER_PAGE},
            get_all=True,
        )
        return [_to_pr(item) for item in found if str(item.get("source_branch", "")).startswith(head_prefix)]

    def pr_for_commit(self, sha: str, base: str) -> PullRequest | None:
        found = self._call(
            f"find the merge request of commit {sha[:12]}",
            "list",
            f"/repository/commits/{sha}/merge_requests",
            query_data={"state": "merged", "per_page": PER_PAGE},
            get_all=False,
        )
        merged = [_to_pr(item) for item in found if item.get("target_branch") == base]
        merged = [pr for pr in merged if pr.state == "merged"]
        exact = [pr for pr in merged if pr.merge_commit == sha]
        chosen = exact or merged
        return chosen[0] if chosen else None

    # -- auto-merge ------------------------------------------------------------------------------------------
    def set_auto_merge(
        self, pr: PullRequest, *, enabled: bool, merge_method: MergeMethod, delete_branch: bool = True
    ) -> AutoMergeOutcome:
        """``rebase`` follows the project's merge method (fast-forward); GitLab has no per-MR choice of it."""
        if enabled == pr.auto_merge:
            return "unchanged"
        if not enabled:
            path = f"/merge_requests/{pr.number}/cancel_merge_when_pipeline_succeeds"
            self._call(f"cancel auto-merge on !{pr.number}", "post", path)
            return "disabled"
        sha = pr.head_sha or self.get_pr(pr.number).head_sha
        data: dict[str, Any] = {
            self._auto_merge_key(): True,
            "should_remove_source_branch": delete_branch,
            "squash": merge_method == "squash",
            **({"sha": sha} if sha else {}),  # GitLab refuses the merge if the head moved meanwhile
        }
        what, path = f"set auto-merge on !{pr.number}", f"/merge_requests/{pr.number}/merge"
        try:
            try:
                answer = self._call(what, "put", path, post_data=data)
            except ProviderError as exc:
                if "SHA does not match HEAD" not in exc.message:
                    raise
                # A concurrent run pushed the branch after we read it (409): arm auto-merge on the head the MR has
                # now; the promotion run checks afterwards which push won and fixes the MR text (branch_guard).
                data["sha"] = self.get_pr(pr.number).head_sha
                answer = self._call(what, "put", path, post_data=data)
        except ProviderError as exc:
            if re.search(r"\b(405|406|422)\b", exc.message):
                msg = f"{exc.message}; {_CANNOT_MERGE}"
                raise ProviderError(msg) from None
            raise
        return "merged" if answer.get("state") == "merged" else "enabled"

    def _auto_merge_key(self) -> str:
        """``auto_merge`` from GitLab 17.11, ``merge_when_pipeline_succeeds`` before (read once from /version)."""
        if self._auto_merge_field is None:
            try:
                answer = self._gl.http_get("/version", max_retries=MAX_RETRIES)
                version = str(answer.get("version", "")) if isinstance(answer, dict) else ""
            except (GitlabError, requests.RequestException):
                version = ""  # the old name still works on new servers (deprecated, not removed)
            new = _version(version) >= AUTO_MERGE_SINCE
            self._auto_merge_field = "auto_merge" if new else "merge_when_pipeline_succeeds"
        return self._auto_merge_field

    # -- statuses --------------------------------------------------------------------------------------------
    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        found = self._call(
            f"read the statuses of {sha[:12]}",
            "list",
            f"/repository/commits/{sha}/statuses",
            query_data={"per_page": PER_PAGE, "sort": "desc"},
            get_all=True,
        )
        statuses = [_to_status(item) for item in found]
        return sorted(statuses, key=lambda s: s.created_at, reverse=True)

    def report_gate(self, pr: PullRequest, *, state: StatusState, description: str) -> None:
        """Post the verdict as the external commit status ``gitops-promotion/gate`` on the MR's head."""
        sha = pr.head_sha or self.get_pr(pr.number).head_sha
        if not sha:
            return
        gate = _GATE_STATES[state]
        data = {"state": gate, "name": GATE_NAME, "description": description[:255], "ref": pr.head}
        try:
            self._call(f"post the gate status on !{pr.number}", "post", f"/statuses/{sha}", post_data=data)
        except ProviderError as exc:
            # GitLab answers 400 "Cannot transition status" when the same state is posted again: already shown.
            if "Cannot transition status" not in exc.message:
                raise

    # -- doctor ----------------------------------------------------------------------------------------------
    def settings_checks(self, *, base_branches: list[str], required_check: str) -> list[Check]:
        """Project settings auto-merge and the gate rely on (GET /projects/:id)."""
        project = self._call("read the project", "get", "")
        name = self._location.project
        access = project.get("permissions") or {}
        levels = [(access.get(k) or {}).get("access_level") or 0 for k in ("project_access", "group_access")]
        return [
            Check(
                "pipelines must succeed before merging",
                bool(project.get("only_allow_merge_if_pipeline_succeeds")),
                name,
                fix="enable Settings > Merge requests > Merge checks > 'Pipelines must succeed', so the gate "
                f"status {required_check!r} holds auto-merge back",
            ),
            Check(
                "token can push and merge (Developer or higher)",
                max(levels) >= 30,
                f"access level {max(levels)}",
                fix="give the project access token the Developer role and scopes api, write_repository",
            ),
        ]


def build(settings: ProviderSettings) -> GitLabProvider:
    """Locate the project and server, pick the token (never the job token), build python-gitlab's client."""
    location = locate(settings.remote_url, settings.environ, settings.api_url)
    token = resolve_token(settings.token, settings.environ)
    gl = gitlab.Gitlab(
        location.server,
        private_token=token,
        timeout=TIMEOUT_S,
        retry_transient_errors=True,
        user_agent="gitops-promotion",
    )
    return GitLabProvider(gl, location, token)


if TYPE_CHECKING:  # mypy holds the adapter to the Protocol commands use it through
    from gitops_promotion.providers.base import Provider

    def _conforms(provider: GitLabProvider) -> Provider:
        return provider
