"""The fake's state records and the JSON it answers with, built from the OpenAPI document's own examples."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tests.forge.github_schema import EXAMPLE_API, EXAMPLE_REPO, EXAMPLE_WEB, GitHubSchemas


def iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakePR:
    number: int
    title: str
    body: str
    head: str
    base: str
    user: str
    created_at: datetime
    updated_at: datetime
    state: str = "open"
    merged: bool = False
    merge_commit_sha: str | None = None
    head_sha: str | None = None  # frozen when the PR closes; read from the branch while open
    merged_at: datetime | None = None
    closed_at: datetime | None = None
    merged_by: str | None = None
    auto_merge: dict[str, str] | None = None  # {"merge_method": ..., "enabled_by": login}
    labels: list[str] = field(default_factory=list)  # names, set by a person in the tests

    @property
    def node_id(self) -> str:
        return f"PR_kwFAKE{self.number}"


@dataclass
class FakeStatus:
    id: int
    sha: str
    context: str
    state: str
    created_at: datetime
    creator: str
    description: str | None = None
    target_url: str | None = None


@dataclass
class RepoSettings:
    """The repository settings the adapter's doctor checks and auto-merge depend on."""

    allow_auto_merge: bool = True
    allow_merge_commit: bool = True
    allow_squash_merge: bool = True
    allow_rebase_merge: bool = True
    can_push: bool = True
    protection: dict[str, list[str]] = field(default_factory=dict)  # branch -> required status contexts


class Payloads:
    """Turns fake state into GitHub-shaped JSON whose URLs point back at the fake (PyGithub follows them)."""

    def __init__(self, schemas: GitHubSchemas, *, api_base: str, web_base: str, owner: str, repo: str) -> None:
        self.schemas = schemas
        self.api_base = api_base
        self.web_base = web_base
        self.owner = owner
        self.repo = repo
        self.repo_api = f"{api_base}/repos/{owner}/{repo}"

    def _example(self, name: str) -> Any:
        text = json.dumps(self.schemas.example(name))
        text = text.replace(f"{EXAMPLE_API}/repos/{EXAMPLE_REPO}", self.repo_api)
        text = text.replace(f"{EXAMPLE_WEB}/{EXAMPLE_REPO}", f"{self.web_base}/{self.owner}/{self.repo}")
        text = text.replace(EXAMPLE_API, self.api_base).replace(EXAMPLE_WEB, self.web_base)
        text = text.replace(EXAMPLE_REPO, f"{self.owner}/{self.repo}").replace('"Hello-World"', f'"{self.repo}"')
        return json.loads(text)

    def user(self, login: str, kind: str = "User") -> dict[str, Any]:
        user: dict[str, Any] = self._example("simple-user")
        user_id = sum(ord(c) for c in login)
        user.update(
            login=login,
            id=user_id,
            node_id=f"U_fake{user_id}",
            url=f"{self.api_base}/users/{login}",
            html_url=f"{self.web_base}/{login}",
            type=kind,
        )
        return user

    def repository(self, settings: RepoSettings, default_branch: str) -> dict[str, Any]:
        repo: dict[str, Any] = self._example("full-repository")
        repo.update(
            name=self.repo,
            full_name=f"{self.owner}/{self.repo}",
            owner=self.user(self.owner, "Organization"),
            default_branch=default_branch,
            allow_auto_merge=settings.allow_auto_merge,
            allow_merge_commit=settings.allow_merge_commit,
            allow_squash_merge=settings.allow_squash_merge,
            allow_rebase_merge=settings.allow_rebase_merge,
            has_discussions=False,  # required by the schema, missing from the example
            permissions={
                "admin": False,
                "maintain": False,
                "push": settings.can_push,
                "triage": True,
                "pull": True,
            },
        )
        return repo

    def pull(self, pr: FakePR, head_sha: str, base_sha: str, *, simple: bool) -> dict[str, Any]:
        data: dict[str, Any] = (
            self._example("pull-request-simple-items")[0] if simple else self._example("pull-request")
        )
        url = f"{self.repo_api}/pulls/{pr.number}"
        data.update(
            url=url,
            id=1000 + pr.number,
            node_id=pr.node_id,
            html_url=f"{self.web_base}/{self.owner}/{self.repo}/pull/{pr.number}",
            number=pr.number,
            state=pr.state,
            title=pr.title,
            body=pr.body,
            user=self.user(pr.user, "Bot" if pr.user.endswith("[bot]") else "User"),
            created_at=iso(pr.created_at),
            updated_at=iso(pr.updated_at),
            closed_at=iso(pr.closed_at) if pr.closed_at else None,
            merged_at=iso(pr.merged_at) if pr.merged_at else None,
            merge_commit_sha=pr.merge_commit_sha,
            statuses_url=f"{self.repo_api}/statuses/{head_sha}",
            requested_teams=[],  # the example's team lacks the schema's required `type`
            labels=[],
            milestone=None,
            assignee=None,
            assignees=[],
            requested_reviewers=[],
            draft=False,
            auto_merge=self._auto_merge(pr),
        )
        data["head"].update(label=f"{self.owner}:{pr.head}", ref=pr.head, sha=head_sha)
        data["base"].update(label=f"{self.owner}:{pr.base}", ref=pr.base, sha=base_sha)
        if not simple:
            data.update(merged=pr.merged, merged_by=self.user(pr.merged_by) if pr.merged_by else None)
            data.update(mergeable=None if pr.state != "open" else True, rebaseable=True)
            data["mergeable_state"] = "clean" if pr.state == "open" else "unknown"
        return data

    def label(self, name: str) -> dict[str, Any]:
        data: dict[str, Any] = self._example("label")
        label_id = sum(ord(c) for c in name)
        data.update(id=label_id, node_id=f"LA_fake{label_id}", name=name, url=f"{self.repo_api}/labels/{name}")
        return data

    def _auto_merge(self, pr: FakePR) -> dict[str, Any] | None:
        if pr.auto_merge is None:
            return None
        return {
            "enabled_by": self.user(pr.auto_merge["enabled_by"]),
            "merge_method": pr.auto_merge["merge_method"],
            "commit_title": pr.title,
            "commit_message": "",
        }

    def status(self, status: FakeStatus) -> dict[str, Any]:
        data: dict[str, Any] = self._example("status")
        data.update(
            url=f"{self.repo_api}/statuses/{status.sha}",
            id=status.id,
            node_id=f"SC_fake{status.id}",
            state=status.state,
            description=status.description,
            target_url=status.target_url,
            context=status.context,
            created_at=iso(status.created_at),
            updated_at=iso(status.created_at),
            creator=self.user(status.creator),
        )
        return data

    def protection(self, branch: str, contexts: list[str]) -> dict[str, Any]:
        data: dict[str, Any] = self._example("branch-protection")
        base = f"{self.repo_api}/branches/{branch}/protection"
        data["url"] = base
        data["required_status_checks"] = {
            "url": f"{base}/required_status_checks",
            "strict": False,
            "contexts": contexts,
            "contexts_url": f"{base}/required_status_checks/contexts",
            "checks": [{"context": c, "app_id": None} for c in contexts],
            "enforcement_level": "non_admins",
        }
        # The example's reviews/restrictions blocks do not match their own schema; the fake models neither.
        data.pop("required_pull_request_reviews", None)
        data.pop("restrictions", None)
        return data

    def installation(self, installation_id: int, app_id: int) -> dict[str, Any]:
        data: dict[str, Any] = self._example("installation")
        data.update(
            id=installation_id,
            app_id=app_id,
            account=self.user(self.owner, "Organization"),
            access_tokens_url=f"{self.api_base}/app/installations/{installation_id}/access_tokens",
        )
        return data

    def installation_token(self, token: str, expires_at: datetime) -> dict[str, Any]:
        data: dict[str, Any] = self._example("installation-token")
        data.update(token=token, expires_at=iso(expires_at), repository_selection="all")
        data.pop("repositories", None)
        return data
