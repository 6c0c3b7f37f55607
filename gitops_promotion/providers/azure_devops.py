"""Azure DevOps adapter over the ``azure-devops`` SDK (STYLE 4).

This module and its helpers (azure_clients, azure_http, azure_doctor) are the only importers of the SDK and
msrest; they import it on the first API call, never at CLI start-up (DESIGN 7). SDK objects and exceptions
stay in them: callers get our dataclasses and ProviderError (ApiError, PullRequestExists).
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar

from gitops_promotion.errors import PullRequestExists, UsageError
from gitops_promotion.providers.azure_clients import Clients
from gitops_promotion.providers.azure_http import ApiError, sdk_call
from gitops_promotion.providers.azure_remote import AzureRepo, resolve_repo
from gitops_promotion.providers.base import (
    AutoMergeOutcome,
    Check,
    CommitStatus,
    MergeMethod,
    PRState,
    PullRequest,
    StatusState,
)

if TYPE_CHECKING:
    from gitops_promotion.providers import ProviderSettings
    from gitops_promotion.providers.base import Provider, SupportsDoctor

T = TypeVar("T")

FLUX_GENRE = "fluxcd"
GATE_GENRE = "gitops-promotion"
GATE_NAME = "gate"
NO_IDENTITY = "00000000-0000-0000-0000-000000000000"  # autoCompleteSetBy with this id clears auto-complete
PR_EXISTS = "TF401179"  # an active PR between these branches already exists
PR_NOT_EDITABLE = "TF401181"  # the PR was completed or abandoned meanwhile
SEARCH_DESCRIPTION_LIMIT = 400  # PR searches cut descriptions to this length (DESIGN 8)
_PAGE = 100
_BATCH = 100  # commits per `commitsbatch` request: the service's default page ($top) is 100
_STRATEGY = {"merge": "noFastForward", "squash": "squash", "rebase": "rebase"}
_PR_STATE: dict[str, PRState] = {"active": "open", "completed": "merged", "abandoned": "closed"}
_FLUX_STATE: dict[str, StatusState] = {
    "succeeded": "success",
    "error": "failure",
    "failed": "failure",
    "pending": "pending",
}
_GATE_STATE = {"success": "succeeded", "failure": "failed", "pending": "pending"}


def build(settings: ProviderSettings, *, sleep: Callable[[float], None] = time.sleep) -> AzureDevOpsProvider:
    """The adapter for the repository the settings point at; no network until the first call."""
    repo = resolve_repo(settings.remote_url, settings.environ, settings.api_url)
    if not settings.token:
        msg = "Azure DevOps needs a token: pass --token or set SYSTEM_ACCESSTOKEN or AZURE_DEVOPS_EXT_PAT"
        raise UsageError(msg)
    # The job access token is an OAuth token: git and the API take it as Bearer; a PAT goes as Basic.
    bearer = settings.environ.get("SYSTEM_ACCESSTOKEN") == settings.token
    return AzureDevOpsProvider(
        repo,
        settings.token,
        bearer=bearer,
        cache_dir=settings.environ.get("AZURE_DEVOPS_CACHE_DIR"),
        build_url=_build_url(settings),
        sleep=sleep,
    )


def _build_url(settings: ProviderSettings) -> str | None:
    env = settings.environ
    if env.get("SYSTEM_COLLECTIONURI") and env.get("SYSTEM_TEAMPROJECT") and env.get("BUILD_BUILDID"):
        base = env["SYSTEM_COLLECTIONURI"].rstrip("/")
        return f"{base}/{env['SYSTEM_TEAMPROJECT']}/_build/results?buildId={env['BUILD_BUILDID']}"
    return None


def _ref(branch: str) -> str:
    return branch if branch.startswith("refs/") else f"refs/heads/{branch}"


def _branch(ref: str | None) -> str:
    ref = ref or ""
    return ref[len("refs/heads/") :] if ref.startswith("refs/heads/") else ref


def _commit(ref: Any) -> str | None:
    return getattr(ref, "commit_id", None) if ref is not None else None


def _who(identity: Any) -> str | None:
    if identity is None:
        return None
    name: str | None = identity.unique_name or identity.display_name or identity.id
    return name


def _auto_complete_set(raw: Any) -> bool:
    who = raw.auto_complete_set_by
    return who is not None and bool(who.id) and who.id != NO_IDENTITY


def _auto_complete_change(raw: Any, who: Callable[[], str] | None, strategy: str, delete_branch: bool) -> Any:
    """The PATCH that sets auto-complete as ``who()`` (None: clears it); None when it is already so."""
    from azure.devops.v7_1.git.models import (
        GitPullRequest,
        GitPullRequestCompletionOptions,
        IdentityRef,
    )

    options = raw.completion_options
    if who is None:
        return GitPullRequest(auto_complete_set_by=IdentityRef(id=NO_IDENTITY)) if _auto_complete_set(raw) else None
    if (
        _auto_complete_set(raw)
        and options is not None
        and options.merge_strategy == strategy
        and bool(options.delete_source_branch) == delete_branch
    ):
        return None
    return GitPullRequest(
        auto_complete_set_by=IdentityRef(id=who()),
        completion_options=GitPullRequestCompletionOptions(
            merge_strategy=strategy, delete_source_branch=delete_branch, transition_work_items=False
        ),
    )


class AzureDevOpsProvider:
    """Provider over the Azure DevOps Git REST API (api-version 7.1)."""

    name = "azdo"

    def __init__(
        self,
        repo: AzureRepo,
        token: str,
        *,
        bearer: bool = False,
        cache_dir: str | None = None,
        build_url: str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repo = repo
        self._token = token
        self._bearer = bearer
        self._cache_dir = cache_dir
        self._build_url = build_url
        self._sleep = sleep
        self._seen: dict[int, Any] = {}
        self._created: set[int] = set()

    def __repr__(self) -> str:
        return f"AzureDevOpsProvider({self.repo!r})"

    # SDK clients, built on first use; public only for azure_doctor (SDK objects stay in this package).
    @cached_property
    def _clients(self) -> Clients:
        return Clients(
            self.repo.base_url, self._token, bearer=self._bearer, cache_dir=self._cache_dir, sleep=self._sleep
        )

    @property
    def git_client(self) -> Any:
        return self._clients.git

    @property
    def security_client(self) -> Any:
        return self._clients.security

    @cached_property
    def _my_id(self) -> str:
        """The token's identity: auto-complete can only be set by the caller."""
        data = self.call("reading the token's identity", self._clients.location.get_connection_data)
        return str(data.authenticated_user.id)

    def _identity_for(self, raw: Any) -> str:
        # A PR this run created carries our identity already: no extra request.
        return str(raw.created_by.id) if raw.pull_request_id in self._created else self._my_id

    def call(self, what: str, fn: Callable[[], T]) -> T:
        """Run one SDK call; failures become ApiError naming ``what``, with the token masked."""
        return sdk_call(what, fn, self._token)

    def repository(self) -> Any:
        """The SDK's GitRepository (ids of the repository and its project)."""
        return self.call(
            f"reading repository {self.repo.repo}",
            lambda: self.git_client.get_repository(self.repo.repo, project=self.repo.project),
        )

    # -- git -------------------------------------------------------------------------------------------
    def git_auth_header(self) -> str | None:
        """The header for ``http.extraheader``: the token never goes into a URL."""
        if self._bearer:
            return f"Authorization: Bearer {self._token}"
        basic = base64.b64encode(f":{self._token}".encode()).decode()
        return f"Authorization: Basic {basic}"

    # -- pull requests ---------------------------------------------------------------------------------
    def _to_pr(self, raw: Any) -> PullRequest:
        # Remember the SDK object: set_auto_merge needs createdBy and completionOptions, which our
        # PullRequest does not carry, and re-reading them would cost a request per PR.
        self._seen[raw.pull_request_id] = raw
        state = _PR_STATE.get(str(raw.status), "closed")
        merged = state == "merged"
        return PullRequest(
            number=raw.pull_request_id,
            title=raw.title or "",
            body=raw.description or "",
            head=_branch(raw.source_ref_name),
            base=_branch(raw.target_ref_name),
            state=state,
            url=f"{self.repo.web_url}/pullrequest/{raw.pull_request_id}",
            head_sha=_commit(raw.last_merge_source_commit),
            merge_commit=_commit(raw.last_merge_commit) if merged else None,
            auto_merge=_auto_complete_set(raw),
            author=_who(raw.created_by),
            merged_by=_who(raw.closed_by) if merged else None,
            merged_at=raw.closed_date if merged else None,
            created_at=raw.creation_date,
        )

    def _full(self, raw: Any) -> PullRequest:
        """A search result as a PullRequest, re-read when its description may have been cut."""
        if len(raw.description or "") >= SEARCH_DESCRIPTION_LIMIT:
            return self.get_pr(raw.pull_request_id)
        return self._to_pr(raw)

    def _raw_pr(self, number: int) -> Any:
        return self.call(
            f"reading pull request {number}",
            lambda: self.git_client.get_pull_request_by_id(number, project=self.repo.project),
        )

    def _search(self, criteria: Any, *, top: int, skip: int = 0) -> list[Any]:
        found: list[Any] = self.call(
            "searching pull requests",
            lambda: self.git_client.get_pull_requests(
                self.repo.repo, criteria, project=self.repo.project, top=top, skip=skip or None
            ),
        )
        return found

    def find_open_pr(self, head: str, base: str) -> PullRequest | None:
        from azure.devops.v7_1.git.models import GitPullRequestSearchCriteria

        criteria = GitPullRequestSearchCriteria(source_ref_name=_ref(head), target_ref_name=_ref(base), status="active")
        found = self._search(criteria, top=1)
        return self._full(found[0]) if found else None

    def create_pr(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        """Create; after a failure that may have landed, look the PR up by head before creating again."""
        from gitops_promotion.providers.failures import create_or_adopt

        return create_or_adopt(
            lambda: self._create_pr(head=head, base=base, title=title, body=body), lambda: self.find_open_pr(head, base)
        )

    def _create_pr(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        from azure.devops.v7_1.git.models import GitPullRequest

        new = GitPullRequest(source_ref_name=_ref(head), target_ref_name=_ref(base), title=title, description=body)
        try:
            created = self.call(
                f"creating the pull request from {head} into {base}",
                lambda: self.git_client.create_pull_request(new, self.repo.repo, project=self.repo.project),
            )
        except ApiError as exc:
            if exc.code != PR_EXISTS:
                raise
            # Another run (or our retried POST that did land) opened it first; the caller adopts that PR.
            raise PullRequestExists(exc.message) from None
        self._created.add(created.pull_request_id)
        return self._to_pr(created)

    def update_pr(self, pr: PullRequest, *, title: str, body: str) -> PullRequest:
        from azure.devops.v7_1.git.models import GitPullRequest

        if pr.title == title and pr.body == body:
            return pr
        change = GitPullRequest(title=title, description=body)
        try:
            updated = self.call(
                f"updating pull request {pr.number}",
                lambda: self.git_client.update_pull_request(
                    change, self.repo.repo, pr.number, project=self.repo.project
                ),
            )
        except ApiError as exc:
            if exc.code != PR_NOT_EDITABLE:
                raise
            return self.get_pr(pr.number)  # completed meanwhile: the caller sees state "merged" and moves on
        return self._to_pr(updated)

    def get_pr(self, number: int) -> PullRequest:
        return self._to_pr(self._raw_pr(number))

    def set_auto_merge(
        self, pr: PullRequest, *, enabled: bool, merge_method: MergeMethod, delete_branch: bool = True
    ) -> AutoMergeOutcome:
        """Set auto-complete as the PR's creator with our completion options, or clear it."""
        if not enabled and not pr.auto_merge:
            return "unchanged"  # the Protocol's promise: no API call to keep something off
        raw = self._seen.get(pr.number) or self._raw_pr(pr.number)
        if raw.status != "active":
            return "merged" if raw.status == "completed" else "unchanged"
        who = (lambda: self._identity_for(raw)) if enabled else None
        change = _auto_complete_change(raw, who, _STRATEGY[merge_method], delete_branch)
        if change is None:
            return "unchanged"
        try:
            updated = self.call(
                f"{'setting' if enabled else 'clearing'} auto-complete on pull request {pr.number}",
                lambda: self.git_client.update_pull_request(
                    change, self.repo.repo, pr.number, project=self.repo.project
                ),
            )
        except ApiError as exc:
            if exc.code != PR_NOT_EDITABLE:
                raise
            updated = self._raw_pr(pr.number)  # completed (or abandoned) meanwhile
        self._seen[pr.number] = updated
        if updated.status != "active":
            return "merged" if updated.status == "completed" else "unchanged"
        return "enabled" if enabled else "disabled"

    def pr_for_commit(self, sha: str, base: str) -> PullRequest | None:
        """The completed PR whose merge commit is ``sha`` (``lastMergeCommit`` query), read in full."""
        from azure.devops.v7_1.git.models import (
            GitPullRequestQuery,
            GitPullRequestQueryInput,
        )

        query = GitPullRequestQuery(queries=[GitPullRequestQueryInput(type="lastMergeCommit", items=[sha])])
        answer = self.call(
            f"looking up the pull request that made commit {sha[:12]}",
            lambda: self.git_client.get_pull_request_query(query, self.repo.repo, project=self.repo.project),
        )
        for result in answer.results or []:
            for raw in (result or {}).get(sha, []):
                if raw.target_ref_name == _ref(base) and raw.status == "completed":
                    return self._full(raw)  # the query cuts descriptions like a search does
        return None

    def list_open_prs(self, head_prefix: str | tuple[str, ...]) -> list[PullRequest]:
        from azure.devops.v7_1.git.models import GitPullRequestSearchCriteria

        # The API filters by exact source ref only, so a prefix means paging through the active PRs.
        criteria = GitPullRequestSearchCriteria(status="active")
        found: list[PullRequest] = []
        skip = 0
        while True:
            page = self._search(criteria, top=_PAGE, skip=skip)
            found.extend(self._full(raw) for raw in page if _branch(raw.source_ref_name).startswith(head_prefix))
            if len(page) < _PAGE:
                return found
            skip += _PAGE

    # -- statuses --------------------------------------------------------------------------------------
    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        """Flux's statuses on ``sha`` (genre ``fluxcd`` or ``fluxcd:<summary>``), newest first."""
        raw_statuses = self.call(
            f"reading statuses of commit {sha[:12]}",
            lambda: self.git_client.get_statuses(sha, self.repo.repo, project=self.repo.project),
        )
        return _flux_statuses(raw_statuses)

    def commit_statuses_many(self, shas: Sequence[str]) -> dict[str, list[CommitStatus]]:
        """Many commits' Flux statuses through `commitsbatch` with ``includeStatuses``: one request per hundred
        commits instead of one per commit (issue 17). The gate reads the newest status per context (DESIGN 3),
        which the batch carries. A commit the answer lacks, or a batch the service refuses, is read one by one.
        """
        unique = list(dict.fromkeys(shas))
        found: dict[str, list[CommitStatus]] = {}
        for start in range(0, len(unique), _BATCH):
            chunk = unique[start : start + _BATCH]
            try:
                commits = self._commits_with_statuses(chunk)
            except ApiError as exc:
                if exc.kind != "refused":
                    raise
                continue  # e.g. a commit the service cannot resolve: this chunk is read one by one below
            for commit in commits or []:
                if commit.commit_id in chunk:
                    found[commit.commit_id] = _flux_statuses(commit.statuses)
        return {sha: found[sha] if sha in found else self.commit_statuses(sha) for sha in unique}

    def _commits_with_statuses(self, shas: list[str]) -> Any:
        from azure.devops.v7_1.git.models import GitQueryCommitsCriteria

        criteria = GitQueryCommitsCriteria(ids=shas)
        return self.call(
            f"reading the statuses of {len(shas)} commits",
            lambda: self.git_client.get_commits_batch(
                criteria, self.repo.repo, project=self.repo.project, include_statuses=True
            ),
        )

    def report_gate(self, pr: PullRequest, *, state: StatusState, description: str) -> None:
        """Post the gate's result as a PR status so reviewers see why the PR is blocked."""
        from azure.devops.v7_1.git.models import GitPullRequestStatus, GitStatusContext

        status = GitPullRequestStatus(
            context=GitStatusContext(genre=GATE_GENRE, name=GATE_NAME),
            state=_GATE_STATE[state],
            description=description[:1000],
            target_url=self._build_url,
        )
        self.call(
            f"posting the gate status on pull request {pr.number}",
            lambda: self.git_client.create_pull_request_status(
                status, self.repo.repo, pr.number, project=self.repo.project
            ),
        )

    def current_gate(self, pr: PullRequest) -> tuple[StatusState, str] | None:
        """The newest gitops-promotion/gate PR status (the PR's iterations keep them all)."""
        raw = self.call(
            f"reading the statuses of pull request {pr.number}",
            lambda: self.git_client.get_pull_request_statuses(self.repo.repo, pr.number, project=self.repo.project),
        )
        mine = [
            s
            for s in raw or []
            if s.context is not None and (s.context.genre, s.context.name) == (GATE_GENRE, GATE_NAME)
        ]
        if not mine:
            return None
        newest = max(mine, key=lambda s: (s.creation_date is not None, s.creation_date, s.id or 0))
        ours: dict[str, StatusState] = {"succeeded": "success", "failed": "failure", "pending": "pending"}
        state = ours.get(str(newest.state))
        return (state, str(newest.description or "")) if state else None

    def pr_labels(self, pr: PullRequest) -> frozenset[str]:
        """The PR's tags (Azure DevOps' labels), e.g. gitops-promotion/override."""
        tags = self.call(
            f"reading the labels of pull request {pr.number}",
            lambda: self.git_client.get_pull_request_labels(self.repo.repo, pr.number, project=self.repo.project),
        )
        return frozenset(str(t.name) for t in tags or [] if getattr(t, "active", True) is not False and t.name)

    # -- doctor ----------------------------------------------------------------------------------------
    def settings_checks(self, *, base_branches: list[str], required_check: str) -> list[Check]:
        """Build validation for the gate pipeline on each base branch, and push rights for the token."""
        from gitops_promotion.providers.azure_doctor import settings_checks

        return settings_checks(self, base_branches=base_branches, required_check=required_check)


def _flux_statuses(raw_statuses: Any) -> list[CommitStatus]:
    """Flux's statuses among SDK GitStatus objects (notSet / notApplicable and other tools' dropped), newest first."""
    statuses: list[CommitStatus] = []
    for raw in raw_statuses or []:
        genre = (raw.context.genre or "") if raw.context else ""
        state = _FLUX_STATE.get(str(raw.state))
        if state is None or not (genre == FLUX_GENRE or genre.startswith(FLUX_GENRE + ":")):
            continue
        statuses.append(
            CommitStatus(
                context=raw.context.name or "",
                state=state,
                created_at=raw.updated_date or raw.creation_date,
                description=raw.description or "",
                genre=genre,
                target_url=raw.target_url,
            )
        )
    statuses.sort(key=lambda status: status.created_at, reverse=True)
    return statuses


if TYPE_CHECKING:  # mypy holds the adapter to the Protocols commands use it through

    def _conforms(provider: AzureDevOpsProvider) -> tuple[Provider, SupportsDoctor]:
        return provider, provider
