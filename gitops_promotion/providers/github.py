"""GitHub adapter: REST and GraphQL as plain JSON requests (github_http); PyGithub only mints GitHub App tokens.

Requests are targeted (head filters, commits/{sha}/pulls); benchmarks/bench_github_requests.py counts them.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from gitops_promotion.errors import ProviderError, PullRequestExists, UsageError
from gitops_promotion.providers import ProviderSettings
from gitops_promotion.providers.base import (
    GATE_CONTEXT,
    AutoMergeOutcome,
    Check,
    CommitStatus,
    MergeMethod,
    PRState,
    PullRequest,
    StatusState,
    newest_gate,
)
from gitops_promotion.providers.failures import create_or_adopt
from gitops_promotion.providers.github_auth import resolve_token
from gitops_promotion.providers.github_http import GitHubHTTP, GitHubHTTPError
from gitops_promotion.providers.github_retry import Resilience, describe
from gitops_promotion.providers.github_urls import GitHubLocation, locate

TIMEOUT_S = 30
STATUS_PAGE = 100
STATUS_MAX_PAGES = 10
WRITE_INTERVAL_ENV = "GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL"

_ENABLE_AUTO_MERGE = """
mutation EnableAutoMerge($id: ID!, $method: PullRequestMergeMethod!) {
  enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method}) {
    pullRequest { number autoMergeRequest { mergeMethod } }
  }
}"""
_DISABLE_AUTO_MERGE = """
mutation DisableAutoMerge($id: ID!) {
  disablePullRequestAutoMerge(input: {pullRequestId: $id}) {
    pullRequest { number }
  }
}"""
_STATES: dict[str, StatusState] = {"success": "success", "failure": "failure", "error": "failure"}
_SETTINGS_HINT = {
    "Auto merge is not allowed": "enable Settings > General > Pull Requests > 'Allow auto-merge'",
    "Protected branch rules not configured": "add a branch protection rule (or ruleset) with a "
    "required status check on {base}",
    "merging is not allowed": "allow the '{method}' merge method in Settings > General > Pull "
    "Requests, or set merge_method in gitops-promotion.yaml",
}


def _time(value: Any) -> datetime | None:
    """GitHub's ISO 8601 time (``...Z``) as an aware UTC datetime."""
    if not value:
        return None
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def _login(user: Any) -> str | None:
    return str(user["login"]) if isinstance(user, dict) and user.get("login") else None


def _to_pr(obj: dict[str, Any], *, full: bool) -> PullRequest:
    """Our PullRequest from GitHub's JSON; ``merged_by`` only from a single-PR answer (lists do not carry it)."""
    merged_at = _time(obj.get("merged_at"))
    state: PRState = "merged" if merged_at is not None else ("open" if obj.get("state") == "open" else "closed")
    return PullRequest(
        number=int(obj["number"]),
        title=str(obj.get("title") or ""),
        body=str(obj.get("body") or ""),
        head=str(obj["head"]["ref"]),
        base=str(obj["base"]["ref"]),
        state=state,
        url=str(obj.get("html_url") or ""),
        head_sha=str(obj["head"]["sha"]),
        merge_commit=obj.get("merge_commit_sha") if merged_at is not None else None,
        auto_merge=obj.get("auto_merge") is not None,
        author=_login(obj.get("user")),
        merged_by=_login(obj.get("merged_by")) if full else None,
        merged_at=merged_at,
        created_at=_time(obj.get("created_at")),
    )


class GitHubProvider:
    """The Provider Protocol over one GitHub repository; ``warnings`` lists set-up problems worth printing."""

    name = "github"

    def __init__(
        self,
        http: GitHubHTTP,
        location: GitHubLocation,
        token: str,
        resilience: Resilience,
        warnings: list[str] | None = None,
    ) -> None:
        self._http = http
        self._location = location
        self._token = token
        self._retry = resilience
        self._path = f"/repos/{location.full_name}"
        self._pulls: dict[int, dict[str, Any]] = {}  # number -> GitHub's JSON (head sha, node id for later writes)
        self._statuses: dict[str, tuple[str, list[CommitStatus]]] = {}  # sha -> (ETag, statuses)
        self.warnings = list(warnings or [])

    # -- git -------------------------------------------------------------------------------------------------
    def git_auth_header(self) -> str | None:
        basic = base64.b64encode(f"x-access-token:{self._token}".encode()).decode()
        return f"Authorization: basic {basic}"

    # -- pull requests ---------------------------------------------------------------------------------------
    def _keep(self, obj: dict[str, Any], *, full: bool) -> PullRequest:
        self._pulls[int(obj["number"])] = obj
        return _to_pr(obj, full=full)

    def find_open_pr(self, head: str, base: str) -> PullRequest | None:
        params = {"state": "open", "head": f"{self._location.owner}:{head}", "base": base}
        found = self._retry.call(
            f"look up the open pull request {head} -> {base}",
            lambda: self._http.pages(f"{self._path}/pulls", params),
        )
        return self._keep(found[0], full=False) if found else None

    def create_pr(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        """Create; after a failure that may have landed, look the PR up by head before creating again."""
        return create_or_adopt(
            lambda: self._create_pr(head=head, base=base, title=title, body=body), lambda: self.find_open_pr(head, base)
        )

    def _create_pr(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        try:
            created = self._retry.call(
                f"create a pull request {head} -> {base}",
                lambda: self._http.json(
                    "POST", f"{self._path}/pulls", body={"title": title, "body": body, "base": base, "head": head}
                ),
                write=True,
            )
        except ProviderError as exc:
            # A concurrent run (or a retried request that did land) opened it first; the caller takes it over.
            if "already exists" in exc.message:
                raise PullRequestExists(exc.message) from None
            raise
        return self._keep(created, full=True)

    def update_pr(self, pr: PullRequest, *, title: str, body: str) -> PullRequest:
        edited = self._retry.call(
            f"update pull request #{pr.number}",
            lambda: self._http.json("PATCH", f"{self._path}/pulls/{pr.number}", body={"title": title, "body": body}),
            write=True,
        )
        return self._keep(edited, full=True)  # GitHub answers with the edited pull request

    def _fetch_pull(self, number: int) -> dict[str, Any]:
        pull: dict[str, Any] = self._retry.call(
            f"read pull request #{number}", lambda: self._http.json("GET", f"{self._path}/pulls/{number}")
        )
        return pull

    def get_pr(self, number: int) -> PullRequest:
        return self._keep(self._fetch_pull(number), full=True)

    def list_open_prs(self, head_prefix: str | tuple[str, ...]) -> list[PullRequest]:
        found = self._retry.call(
            "list open pull requests", lambda: self._http.pages(f"{self._path}/pulls", {"state": "open"})
        )
        return [self._keep(p, full=False) for p in found if str(p["head"]["ref"]).startswith(head_prefix)]

    def pr_for_commit(self, sha: str, base: str) -> PullRequest | None:
        pulls = self._retry.call(
            f"find the pull request of commit {sha[:12]}",
            lambda: self._http.pages(f"{self._path}/commits/{sha}/pulls"),
        )
        merged = [p for p in pulls if p.get("merged_at") and p["base"]["ref"] == base]
        exact = [p for p in merged if p.get("merge_commit_sha") == sha]
        # A PR merged by fast-forward outside GitHub's button keeps its head commit as the pushed commit.
        chosen = exact or [p for p in merged if p["head"]["sha"] == sha]
        return self._keep(chosen[0], full=False) if chosen else None

    # -- auto-merge -----------------------------------------------------------------------------------------
    def set_auto_merge(
        self, pr: PullRequest, *, enabled: bool, merge_method: MergeMethod, delete_branch: bool = True
    ) -> AutoMergeOutcome:
        """``delete_branch`` is a repository setting on GitHub (delete_branch_on_merge), not a PR option."""
        if enabled == pr.auto_merge:
            return "unchanged"
        if not enabled:
            self._graphql(f"disable auto-merge on #{pr.number}", _DISABLE_AUTO_MERGE, {"id": self._node_id(pr)})
            return "disabled"
        try:
            self._graphql(
                f"enable auto-merge on #{pr.number}",
                _ENABLE_AUTO_MERGE,
                {"id": self._node_id(pr), "method": merge_method.upper()},
            )
        except ProviderError as exc:
            if "clean status" in exc.message or "unstable status" in exc.message:
                # GitHub will not queue a PR that can merge now (required checks green; "unstable" means
                # only optional ones are not): merge it, pinned to the commit we pushed.
                self._merge(pr, merge_method)
                return "merged"
            for needle, hint in _SETTINGS_HINT.items():
                if needle in exc.message:
                    fix = hint.format(base=pr.base, method=merge_method)
                    msg = f"{exc.message} ({self._location.full_name}): {fix}"
                    raise ProviderError(msg) from None
            raise
        return "enabled"

    def _known_pull(self, number: int) -> dict[str, Any]:
        return self._pulls.get(number) or self._fetch_pull(number)

    def _node_id(self, pr: PullRequest) -> str:
        return str(self._known_pull(pr.number)["node_id"])

    def _merge(self, pr: PullRequest, merge_method: MergeMethod) -> None:
        sha = pr.head_sha or str(self._known_pull(pr.number)["head"]["sha"])
        self._retry.call(
            f"merge pull request #{pr.number}",
            lambda: self._http.json(
                "PUT", f"{self._path}/pulls/{pr.number}/merge", body={"merge_method": merge_method, "sha": sha}
            ),
            write=True,
        )

    def _graphql(self, what: str, query: str, variables: dict[str, Any], *, write: bool = True) -> dict[str, Any]:
        payload = {"query": query, "variables": variables}
        data = self._retry.call(
            what, lambda: self._http.json("POST", self._location.graphql_url, body=payload), write=write
        )
        errors = data.get("errors") if isinstance(data, dict) else None
        if errors:
            messages = "; ".join(str(e.get("message", e)) if isinstance(e, dict) else str(e) for e in errors)
            raise ProviderError(f"GitHub refused to {what}: {' '.join(messages.split())}")
        result: dict[str, Any] = data.get("data") or {}
        return result

    # -- statuses --------------------------------------------------------------------------------------------
    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        cached = self._statuses.get(sha)
        status, etag, items = self._statuses_page(sha, 1, cached[0] if cached else None)
        if status == 304 and cached:
            return cached[1]  # nothing new (statuses arrive on page one); an authenticated 304 is free
        page, everything = 1, list(items)
        # Newest first: a context whose newest status sits past page one still counts (many clusters/apps).
        while len(items) == STATUS_PAGE and page < STATUS_MAX_PAGES:
            page += 1
            _, _, items = self._statuses_page(sha, page, None)
            everything.extend(items)
        statuses = [_to_status(item) for item in everything]
        if etag:
            self._statuses[sha] = (etag, statuses)
        return statuses

    def _statuses_page(self, sha: str, page: int, etag: str | None) -> tuple[int, str | None, list[Any]]:
        """(HTTP status, ETag, items) of one page, conditional on ``etag``."""
        url = f"{self._path}/commits/{sha}/statuses"
        params: dict[str, Any] = {"per_page": STATUS_PAGE, **({"page": page} if page > 1 else {})}
        headers = {"If-None-Match": etag} if etag else {}
        answer = self._retry.call(
            f"read the statuses of {sha[:12]}", lambda: self._http.request("GET", url, params=params, headers=headers)
        )
        new_etag = answer.headers.get("etag")
        items = list(answer.data or []) if answer.status == 200 else []
        return answer.status, str(new_etag) if new_etag else None, items

    def commit_statuses_many(self, shas: Sequence[str]) -> dict[str, list[CommitStatus]]:
        """The statuses of many commits (newest per context, newest first) in one GraphQL query per hundred."""
        from gitops_promotion.providers import github_graphql as gql

        unique = list(dict.fromkeys(shas))
        found: dict[str, list[CommitStatus]] = {}
        for start in range(0, len(unique), gql.MAX_PER_QUERY):
            chunk = unique[start : start + gql.MAX_PER_QUERY]
            query = gql.statuses_query(len(chunk))
            names = gql.variables(self._location.owner, self._location.repo, chunk)
            data = self._graphql(f"read the statuses of {len(chunk)} commits", query, names, write=False)
            found.update(gql.parse_statuses(data, chunk))
        return found

    def report_gate(self, pr: PullRequest, *, state: StatusState, description: str) -> None:
        """POST a commit status ``gitops-promotion/gate`` on the PR's head commit (needs ``statuses: write``)."""
        sha = pr.head_sha or str(self._known_pull(pr.number)["head"]["sha"])
        url = f"{self._path}/statuses/{sha}"
        payload: dict[str, Any] = {"state": state, "context": GATE_CONTEXT, "description": description[:140]}
        self._retry.call(
            f"post the gate status on pull request #{pr.number}",
            lambda: self._http.json("POST", url, body=payload),
            write=True,
        )

    def current_gate(self, pr: PullRequest) -> tuple[StatusState, str] | None:
        sha = pr.head_sha or str(self._known_pull(pr.number)["head"]["sha"])
        return newest_gate(self.commit_statuses(sha))

    def pr_labels(self, pr: PullRequest) -> frozenset[str]:
        url = f"{self._path}/issues/{pr.number}/labels"
        data = self._retry.call(
            f"read the labels of pull request #{pr.number}",
            lambda: self._http.json("GET", url, params={"per_page": 100}),
        )
        return frozenset(str(item.get("name", "")) for item in data or [] if isinstance(item, dict))

    # -- doctor ----------------------------------------------------------------------------------------------
    def settings_checks(self, *, base_branches: list[str], required_check: str) -> list[Check]:
        """Settings promotion relies on: auto-merge, push access, protected bases requiring the check."""
        repo = self._retry.call(f"read {self._location.full_name}", self._load_repo)
        name = self._location.full_name
        checks = [
            Check(
                "auto-merge allowed",
                bool(repo.get("allow_auto_merge")),
                name,
                fix="enable Settings > General > Pull Requests > 'Allow auto-merge'",
            ),
            Check(
                "token can push",
                bool((repo.get("permissions") or {}).get("push")),
                name,
                fix="give the token (or GitHub App) 'Contents: write' and 'Pull requests: write'",
            ),
        ]
        checks.extend(self._protection_check(branch, required_check) for branch in base_branches)
        return checks

    def _load_repo(self) -> dict[str, Any]:
        return dict(self._http.json("GET", self._path))

    def _protection_check(self, branch: str, required_check: str) -> Check:
        title = f"branch protection on {branch} requires '{required_check}'"
        fix = f"protect {branch} with a required status check named '{required_check}'"
        url = f"{self._path}/branches/{branch}/protection"
        try:
            data = self._http.json("GET", url)
        except GitHubHTTPError as exc:
            if exc.status == 404:
                return Check(title, False, f"{branch} is not protected", fix=fix)
            # Reading protection needs admin rights the promotion token should not have: report, do not block.
            return Check(title, False, f"cannot read protection: {describe(exc)}", fix=fix, blocking=False)
        required = data.get("required_status_checks") or {}
        contexts = set(required.get("contexts") or []) | {c.get("context") for c in required.get("checks") or []}
        ok = required_check in contexts
        detail = f"required: {', '.join(sorted(c for c in contexts if c)) or 'none'}"
        return Check(title, ok, detail, fix=fix)


def _to_status(item: dict[str, Any]) -> CommitStatus:
    created = datetime.fromisoformat(str(item["created_at"]).replace("Z", "+00:00"))
    return CommitStatus(
        context=str(item.get("context") or ""),
        state=_STATES.get(str(item.get("state")), "pending"),
        created_at=created,
        description=str(item.get("description") or ""),
        target_url=item.get("target_url"),
    )


def _write_interval(environ: Mapping[str, str]) -> float:
    """Seconds between writes: GitHub asks for one; GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL may lower it."""
    raw = environ.get(WRITE_INTERVAL_ENV, "").strip()
    if not raw:
        return 1.0
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 60:
        msg = f"{WRITE_INTERVAL_ENV}={raw!r} must be a number of seconds between 0 and 60"
        raise UsageError(msg)
    return value


def build(
    settings: ProviderSettings,
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> GitHubProvider:
    """Build the adapter from CLI settings: locate the repo and its APIs, get a token, open one session."""
    location = locate(settings.remote_url, settings.environ, settings.api_url)
    resilience = Resilience(sleep=sleep, clock=clock, write_interval=_write_interval(settings.environ))
    secrets = tuple(s for s in (settings.token, settings.github_app_private_key) if s)
    resilience.secrets = secrets
    token, warnings = resolve_token(
        token=settings.token,
        app_id=settings.github_app_id,
        app_private_key=settings.github_app_private_key,
        environ=settings.environ,
        location=location,
        resilience=resilience,
        timeout=TIMEOUT_S,
    )
    resilience.secrets = (*secrets, token)
    # No retries in the session: Resilience retries, with waits tests can inject, and spaces writes only (DESIGN 8).
    return GitHubProvider(GitHubHTTP(location.api_url, token, TIMEOUT_S), location, token, resilience, warnings)


if TYPE_CHECKING:  # mypy holds the adapter to the Protocol commands use it through
    from gitops_promotion.providers.base import Provider

    def _conforms(provider: GitHubProvider) -> Provider:
        return provider
