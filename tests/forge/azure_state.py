"""The fake Azure DevOps' data: pull requests, commit and PR statuses, over a real bare git repository.

Answers are shaped as the REST API answers (camelCase JSON); rule violations raise AzureApiError carrying the
HTTP status and the TFxxxxxx message the real service sends.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from tests.forge.azure_git import BareRepo, MergeConflictError

NO_IDENTITY = "00000000-0000-0000-0000-000000000000"
_ASSEMBLY = "Microsoft.TeamFoundation.Git.Server"
SEARCH_DESCRIPTION_LIMIT = 400
MAX_DESCRIPTION = 4000


class AzureApiError(Exception):
    """An error answer: HTTP status, message (with its TF code) and the server's exception type key."""

    def __init__(self, status: int, message: str, type_key: str = "InvalidArgumentValueException") -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.type_key = type_key

    def body(self) -> dict[str, Any]:
        return {
            "$id": "1",
            "innerException": None,
            "message": self.message,
            "typeName": f"Microsoft.TeamFoundation.Git.Server.{self.type_key}, {_ASSEMBLY}",
            "typeKey": self.type_key,
            "errorCode": 0,
            "eventId": 3000,
        }


@dataclass
class FakePR:
    id: int
    title: str
    description: str
    source: str
    target: str
    created_by: dict[str, Any]
    created: datetime
    status: str = "active"
    auto_complete_set_by: dict[str, Any] | None = None
    completion_options: dict[str, Any] | None = None
    closed: datetime | None = None
    closed_by: dict[str, Any] | None = None
    merge_commit: str | None = None
    source_commit: str | None = None
    target_commit: str | None = None
    statuses: list[dict[str, Any]] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)  # tag names a person set


class AzureState:
    """One organisation, one project, one repository."""

    def __init__(self, bare: Path, *, project: str, repo: str, identity: dict[str, Any]) -> None:
        self.git = BareRepo(bare)
        self.project = {
            "id": "d9a2c1f0-0000-4000-8000-00000000c0de",
            "name": project,
            "state": "wellFormed",
            "visibility": "private",
        }
        self.repo_id = "5b2b6d3e-0000-4000-8000-00000000beef"
        self.repo_name = repo
        self.identity = identity
        self.prs: dict[int, FakePR] = {}
        self.commit_statuses: dict[str, list[dict[str, Any]]] = {}
        self.required: list[tuple[str, str]] = []  # (genre, name) PR statuses completion waits for
        self.policies: list[dict[str, Any]] = []
        self.denied = 0  # Git repository permission bits the identity lacks
        self._ids = itertools.count(1)
        self._status_ids = itertools.count(1)
        self._last = datetime(2000, 1, 1, tzinfo=timezone.utc)
        self.base_url = ""

    def now(self) -> datetime:
        """Wall-clock time, strictly increasing so "newest" is never a tie."""
        self._last = max(datetime.now(timezone.utc), self._last + timedelta(milliseconds=1))
        return self._last

    # -- shapes ----------------------------------------------------------------------------------------
    def repository(self) -> dict[str, Any]:
        url = f"{self.base_url}/{self.project['id']}/_apis/git/repositories/{self.repo_id}"
        return {
            "id": self.repo_id,
            "name": self.repo_name,
            "url": url,
            "defaultBranch": "refs/heads/main",
            "project": dict(self.project),
            "remoteUrl": f"{self.base_url}/{self.project['name']}/_git/{self.repo_name}",
        }

    def matches_repo(self, project: str, repo: str) -> bool:
        return project.lower() in (self.project["name"].lower(), self.project["id"]) and repo.lower() in (
            self.repo_name.lower(),
            self.repo_id,
        )

    def _commit(self, sha: str | None) -> dict[str, Any] | None:
        return {"commitId": sha, "url": f"{self.repository()['url']}/commits/{sha}"} if sha else None

    def pr_json(self, pr: FakePR, *, cut: bool = False) -> dict[str, Any]:
        if pr.status == "active":  # the service tracks both branch tips while a PR is open
            pr.source_commit = self.git.ref(pr.source) or pr.source_commit
            pr.target_commit = self.git.ref(pr.target) or pr.target_commit
        data: dict[str, Any] = {
            "pullRequestId": pr.id,
            "codeReviewId": pr.id,
            "status": pr.status,
            "createdBy": pr.created_by,
            "creationDate": pr.created.isoformat(),
            "title": pr.title,
            "description": pr.description[:SEARCH_DESCRIPTION_LIMIT] if cut else pr.description,
            "sourceRefName": pr.source,
            "targetRefName": pr.target,
            "isDraft": False,
            "mergeStatus": "succeeded" if pr.status == "completed" else "queued",
            "mergeId": f"00000000-0000-4000-8000-{pr.id:012d}",
            "reviewers": [],
            "url": f"{self.repository()['url']}/pullRequests/{pr.id}",
            "supportsIterations": True,
            "repository": self.repository(),
            "lastMergeSourceCommit": self._commit(pr.source_commit),
            "lastMergeTargetCommit": self._commit(pr.target_commit),
        }
        if pr.merge_commit:
            data["lastMergeCommit"] = self._commit(pr.merge_commit)
        if pr.auto_complete_set_by:
            data["autoCompleteSetBy"] = pr.auto_complete_set_by
        if pr.completion_options:
            data["completionOptions"] = pr.completion_options
        if pr.closed:
            data["closedDate"] = pr.closed.isoformat()
            if pr.closed_by:
                data["closedBy"] = pr.closed_by
        return {k: v for k, v in data.items() if v is not None}

    # -- pull requests ---------------------------------------------------------------------------------
    def get(self, number: int) -> FakePR:
        pr = self.prs.get(number)
        if pr is None:
            raise AzureApiError(
                404,
                f"TF401180: The requested pull request was not found. {number}",
                "GitPullRequestNotFoundException",
            )
        return pr

    def search(self, query: dict[str, str]) -> list[FakePR]:
        status = query.get("searchCriteria.status", "active")
        found = [
            pr
            for pr in sorted(self.prs.values(), key=lambda p: -p.id)
            if status in ("all", pr.status)
            and query.get("searchCriteria.sourceRefName", pr.source) == pr.source
            and query.get("searchCriteria.targetRefName", pr.target) == pr.target
        ]
        skip = int(query.get("$skip", 0))
        return found[skip : skip + int(query.get("$top", 101))]

    def create(self, body: dict[str, Any]) -> FakePR:
        source, target = body.get("sourceRefName", ""), body.get("targetRefName", "")
        if not body.get("title"):
            raise AzureApiError(400, "The title of the pull request cannot be empty.")
        if len(body.get("description") or "") > MAX_DESCRIPTION:
            raise AzureApiError(400, "The description of the pull request is too long (max 4000 characters).")
        if self.git.ref(source) is None or self.git.ref(target) is None:
            raise AzureApiError(
                400,
                "TF401398: The pull request cannot be activated because the source and/or the "
                "target branch no longer exists, or the requested refs are not branches",
                "GitPullRequestCannotBeActivated",
            )
        if any(pr.status == "active" and pr.source == source and pr.target == target for pr in self.prs.values()):
            raise AzureApiError(
                409,
                "TF401179: An active pull request for the source and target branch already exists.",
                "GitPullRequestExistsException",
            )
        pr = FakePR(
            next(self._ids),
            body["title"],
            body.get("description") or "",
            source,
            target,
            dict(self.identity),
            self.now(),
        )
        self.prs[pr.id] = pr
        return pr

    def update(self, number: int, body: dict[str, Any]) -> FakePR:
        pr = self.get(number)
        if pr.status != "active":
            raise AzureApiError(
                409,
                f"TF401181: The pull request cannot be edited due to its state. {number}",
                "InvalidPullRequestStateException",
            )
        for key, attr in (("title", "title"), ("description", "description")):
            if key in body:
                setattr(pr, attr, body[key])
        if "autoCompleteSetBy" in body:
            who = body["autoCompleteSetBy"] or {}
            if who.get("id") in (None, NO_IDENTITY):
                pr.auto_complete_set_by = None
            elif who["id"] != self.identity["id"]:
                raise AzureApiError(400, "TF401289: Auto-complete can only be set by the calling identity.")
            else:
                pr.auto_complete_set_by = dict(self.identity)
        if "completionOptions" in body:
            pr.completion_options = body["completionOptions"]
        if body.get("status") == "abandoned":
            pr.status, pr.closed = "abandoned", self.now()
        elif body.get("status") == "completed":
            self.complete(number)
        return pr

    def complete(self, number: int) -> str:
        """Complete an active PR with a real git merge per its completion options; the new target tip."""
        pr = self.get(number)
        if pr.status != "active":
            raise AzureApiError(
                409,
                f"TF401181: The pull request cannot be edited due to its state. {number}",
                "InvalidPullRequestStateException",
            )
        options = pr.completion_options or {}
        strategy = options.get("mergeStrategy") or ("squash" if options.get("squashMerge") else "noFastForward")
        message = options.get("mergeCommitMessage") or f"Merged PR {pr.id}: {pr.title}"
        pr.source_commit = self.git.ref(pr.source)
        pr.target_commit = self.git.ref(pr.target)
        try:
            tip = self.git.complete(pr.target, pr.source, str(strategy), message)
        except MergeConflictError as exc:
            raise AzureApiError(409, f"TF401192: The pull request has merge conflicts. {exc}") from None
        pr.status, pr.merge_commit, pr.closed, pr.closed_by = (
            "completed",
            tip,
            self.now(),
            dict(self.identity),
        )
        if options.get("deleteSourceBranch"):
            self.git.delete(pr.source)
        return tip

    def ready(self, pr: FakePR) -> bool:
        """Whether every required PR status is, in its newest post, ``succeeded``."""
        for genre, name in self.required:
            posts = [s for s in pr.statuses if s["context"] == {"genre": genre, "name": name}]
            if not posts or posts[-1]["state"] != "succeeded":
                return False
        return True

    def query(self, body: dict[str, Any]) -> dict[str, Any]:
        results: list[dict[str, list[dict[str, Any]]]] = []
        for query in body.get("queries") or []:
            answer: dict[str, list[dict[str, Any]]] = {}
            for sha in query.get("items") or []:
                hits = [
                    pr for pr in self.prs.values() if query.get("type") == "lastMergeCommit" and pr.merge_commit == sha
                ]
                if hits:
                    answer[sha] = [self.pr_json(pr, cut=True) for pr in hits]
            results.append(answer)
        return {"queries": body.get("queries") or [], "results": results}

    # -- branch policies -------------------------------------------------------------------------------
    def add_policy(self, branch: str, type_id: str, settings: dict[str, Any], *, blocking: bool) -> None:
        scope = [{"refName": f"refs/heads/{branch}", "matchKind": "exact", "repositoryId": self.repo_id}]
        self.policies.append(
            {
                "id": len(self.policies) + 1,
                "revision": 1,
                "isEnabled": True,
                "isBlocking": blocking,
                "isDeleted": False,
                "type": {"id": type_id, "displayName": "policy"},
                "settings": {**settings, "scope": scope},
                "createdBy": dict(self.identity),
                "createdDate": self.now().isoformat(),
            }
        )

    def policy_list(self, query: dict[str, str]) -> dict[str, Any]:
        def wanted(policy: dict[str, Any]) -> bool:
            ref = policy["settings"]["scope"][0]["refName"]
            return (
                query.get("refName", ref) == ref
                and query.get("policyType", policy["type"]["id"]) == policy["type"]["id"]
                and query.get("repositoryId", self.repo_id) == self.repo_id
            )

        found = [policy for policy in self.policies if wanted(policy)]
        return {"count": len(found), "value": found}

    # -- statuses --------------------------------------------------------------------------------------
    def status(self, body: dict[str, Any]) -> dict[str, Any]:
        when = self.now().isoformat()
        return {
            **body,
            "id": next(self._status_ids),
            "creationDate": when,
            "updatedDate": when,
            "createdBy": dict(self.identity),
        }

    def post_commit_status(self, sha: str, body: dict[str, Any]) -> dict[str, Any]:
        if self.git.ref(sha) is None:
            raise AzureApiError(404, f"TF401175: The version descriptor <Commit: {sha}> could not be resolved.")
        status = self.status(body)
        self.commit_statuses.setdefault(sha, []).append(status)
        return status

    def commit_status_list(self, sha: str) -> list[dict[str, Any]]:
        return list(reversed(self.commit_statuses.get(sha, [])))

    def commits_batch(self, ids: list[str], *, statuses: bool) -> list[dict[str, Any]]:
        """``commitsbatch`` by ids: an id that is not a commit fails the request, as a version descriptor would.

        Statuses are the newest per (genre, name), the least a commit's status summary could carry: the tool
        must not need more (the gate reads the newest per context, DESIGN 3).
        """
        found = []
        for sha in ids:
            if self.git.ref(sha) is None:
                raise AzureApiError(404, f"TF401175: The version descriptor <Commit: {sha}> could not be resolved.")
            commit: dict[str, Any] = {"commitId": sha}
            if statuses:
                newest: dict[tuple[str, str], dict[str, Any]] = {}
                for status in self.commit_status_list(sha):  # newest first
                    context = status.get("context") or {}
                    newest.setdefault((context.get("genre", ""), context.get("name", "")), status)
                commit["statuses"] = list(newest.values())
            found.append(commit)
        return found
