"""The REST endpoints and GraphQL mutations the fake GitHub implements, over GitHubState."""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import graphql

from tests.forge.github_payloads import Payloads
from tests.forge.github_schema import GitHubSchemas
from tests.forge.github_state import ForgeRefusalError, GitHubState


@dataclass
class Reply:
    status: int
    payload: Any = None
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    query: Mapping[str, str]
    body: Any
    actor: str  # login behind the token ("" for an app JWT)


T = TypeVar("T")
Handler = Callable[["Routes", Call, re.Match[str]], Reply]
_ROUTES: list[tuple[str, re.Pattern[str], str]] = []


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    def register(func: Handler) -> Handler:
        _ROUTES.append((method, re.compile(f"^{pattern}$"), func.__name__))
        return func

    return register


def _page(items: list[T], query: Mapping[str, str]) -> list[T]:
    """GitHub's page/per_page slicing (the fake sends no Link header; clients stop on a short page)."""
    per_page, page = int(query.get("per_page", "30")), int(query.get("page", "1"))
    return items[(page - 1) * per_page : page * per_page]


def _error(status: int, message: str) -> Reply:
    body: dict[str, Any] = {
        "message": message,
        "documentation_url": "https://docs.github.com/rest",
        "status": str(status),
    }
    if status == 422:
        body = {
            **body,
            "message": "Validation Failed",
            "errors": [{"resource": "PullRequest", "code": "custom", "message": message}],
        }
    return Reply(status, body)


class Routes:
    """Dispatches one authenticated, spec-valid call; `ForgeRefusalError` becomes GitHub's error body."""

    def __init__(self, state: GitHubState, payloads: Payloads, schemas: GitHubSchemas, app_id: int | None) -> None:
        self.state = state
        self.payloads = payloads
        self.schemas = schemas
        self.app_id = app_id
        self.installation_id = 4242
        self.issued_tokens: dict[str, str] = {}  # installation token -> bot login
        repo = re.escape(f"/repos/{payloads.owner}/{payloads.repo}")
        self._routes = [(m, re.compile(p.pattern.replace("REPO", repo)), n) for m, p, n in _ROUTES]

    def is_implemented(self, method: str, path: str) -> bool:
        return any(m == method and p.match(path) for m, p, _ in self._routes)

    def dispatch(self, call: Call) -> Reply:
        for method, pattern, name in self._routes:
            match = pattern.match(call.path)
            if method == call.method and match:
                try:
                    reply: Reply = getattr(self, name)(call, match)
                except ForgeRefusalError as refusal:
                    return _error(refusal.status, refusal.message)
                return reply
        return _error(404, "Not Found")

    def _pull_json(self, number: int, *, simple: bool = False) -> dict[str, Any]:
        pr = self.state.pull(number)
        return self.payloads.pull(pr, self.state.head_sha(pr), self.state.base_sha(pr), simple=simple)

    # -- repository and app ---------------------------------------------------------------------------------
    @route("GET", "REPO")
    def get_repo(self, call: Call, match: re.Match[str]) -> Reply:
        return Reply(200, self.payloads.repository(self.state.settings, self.state.git.default_branch()))

    @route("GET", r"REPO/branches/(?P<branch>.+)/protection")
    def get_protection(self, call: Call, match: re.Match[str]) -> Reply:
        branch = match["branch"]
        if branch not in self.state.settings.protection:
            return _error(404, "Branch not protected")
        return Reply(200, self.payloads.protection(branch, self.state.settings.protection[branch]))

    @route("GET", "REPO/installation")
    def get_installation(self, call: Call, match: re.Match[str]) -> Reply:
        if self.app_id is None:
            return _error(404, "Not Found")
        return Reply(200, self.payloads.installation(self.installation_id, self.app_id))

    @route("POST", r"/app/installations/(?P<id>\d+)/access_tokens")
    def create_installation_token(self, call: Call, match: re.Match[str]) -> Reply:
        if int(match["id"]) != self.installation_id:
            return _error(404, "Not Found")
        token = f"ghs_{secrets.token_hex(16)}"
        self.issued_tokens[token] = "gitops-app[bot]"
        expires = self.state.clock() + timedelta(hours=1)
        return Reply(201, self.payloads.installation_token(token, expires))

    # -- pull requests --------------------------------------------------------------------------------------
    @route("GET", "REPO/pulls")
    def list_pulls(self, call: Call, match: re.Match[str]) -> Reply:
        found = self.state.list_pulls(
            state=call.query.get("state", "open"), head=call.query.get("head"), base=call.query.get("base")
        )
        return Reply(200, [self._pull_json(pr.number, simple=True) for pr in _page(found, call.query)])

    @route("POST", "REPO/pulls")
    def create_pull(self, call: Call, match: re.Match[str]) -> Reply:
        body = call.body
        pr = self.state.create_pull(
            title=body["title"],
            head=body["head"],
            base=body["base"],
            body=body.get("body") or "",
            user=call.actor,
        )
        return Reply(201, self._pull_json(pr.number), {"Location": self.payloads.repo_api + f"/pulls/{pr.number}"})

    @route("GET", r"REPO/pulls/(?P<number>\d+)")
    def get_pull(self, call: Call, match: re.Match[str]) -> Reply:
        return Reply(200, self._pull_json(int(match["number"])))

    @route("PATCH", r"REPO/pulls/(?P<number>\d+)")
    def update_pull(self, call: Call, match: re.Match[str]) -> Reply:
        pr = self.state.pull(int(match["number"]))
        if pr.merged:
            raise ForgeRefusalError(422, "Cannot update a merged pull request")
        for key in ("title", "body", "base"):
            if key in call.body:
                setattr(pr, key, call.body[key])
        if call.body.get("state") in {"open", "closed"}:
            pr.state = call.body["state"]
            pr.closed_at = self.state.clock() if pr.state == "closed" else None
            if pr.state == "closed":
                pr.head_sha, pr.auto_merge = self.state.head_sha(pr), None
        pr.updated_at = self.state.clock()
        return Reply(200, self._pull_json(pr.number))

    @route("PUT", r"REPO/pulls/(?P<number>\d+)/merge")
    def merge_pull(self, call: Call, match: re.Match[str]) -> Reply:
        pr = self.state.pull(int(match["number"]))
        body = call.body or {}
        sha = self.state.merge(
            pr, method=body.get("merge_method", "merge"), actor=call.actor, expected_sha=body.get("sha")
        )
        return Reply(200, {"sha": sha, "merged": True, "message": "Pull Request successfully merged"})

    @route("GET", r"REPO/commits/(?P<sha>[^/]+)/pulls")
    def pulls_for_commit(self, call: Call, match: re.Match[str]) -> Reply:
        found = self.state.pulls_for_commit(match["sha"])
        return Reply(200, [self._pull_json(pr.number, simple=True) for pr in found])

    @route("GET", r"REPO/issues/(?P<number>\d+)/labels")
    def list_labels(self, call: Call, match: re.Match[str]) -> Reply:
        pr = self.state.pull(int(match["number"]))
        return Reply(200, [self.payloads.label(name) for name in _page(pr.labels, call.query)])

    # -- statuses -------------------------------------------------------------------------------------------
    @route("GET", r"REPO/commits/(?P<ref>[^/]+)/statuses")
    def list_statuses(self, call: Call, match: re.Match[str]) -> Reply:
        ref = match["ref"]
        sha = self.state.git.sha(ref) or ref
        items = _page(self.state.statuses_for(sha), call.query)
        return Reply(200, [self.payloads.status(s) for s in items])

    @route("POST", r"REPO/statuses/(?P<sha>[0-9a-f]{40})")
    def create_status(self, call: Call, match: re.Match[str]) -> Reply:
        body = call.body
        status = self.state.add_status(
            match["sha"],
            context=body.get("context", "default"),
            state=body["state"],
            creator=call.actor,
            description=body.get("description"),
            target_url=body.get("target_url"),
        )
        self.state.tick()
        return Reply(201, self.payloads.status(status))

    # -- GraphQL --------------------------------------------------------------------------------------------
    def graphql(self, document: graphql.DocumentNode, variables: Mapping[str, Any], actor: str) -> dict[str, Any]:
        """Execute a validated document: the two auto-merge mutations and the commit statuses `show` reads."""
        root = _MutationRoot(self, actor)
        result = graphql.execute(self.schemas.graphql, document, root_value=root, variable_values=dict(variables))
        out: dict[str, Any] = {"data": result.data}
        if result.errors:
            out["errors"] = [
                {
                    "type": getattr(e.original_error, "kind", "UNPROCESSABLE"),
                    "path": e.path,
                    "message": e.message,
                    "locations": [{"line": loc.line, "column": loc.column} for loc in e.locations or []],
                }
                for e in result.errors
            ]
        return out


class _GraphQLRefusalError(Exception):
    def __init__(self, message: str, kind: str = "UNPROCESSABLE") -> None:
        super().__init__(message)
        self.kind = kind


class _MutationRoot:
    """graphql-core's default resolver calls these by field name with the field's arguments."""

    def __init__(self, routes: Routes, actor: str) -> None:
        self.routes = routes
        self.actor = actor

    def _pr(self, node_id: str) -> Any:
        for pr in self.routes.state.pulls.values():
            if pr.node_id == node_id:
                return pr
        msg = f"Could not resolve to a node with the global id of '{node_id}'"
        raise _GraphQLRefusalError(msg, "NOT_FOUND")

    def _payload(self, pr: Any, client_mutation_id: str | None) -> dict[str, Any]:
        auto = pr.auto_merge
        return {
            "clientMutationId": client_mutation_id,
            "actor": {
                "__typename": "Bot",
                "login": self.actor,
                "avatarUrl": "",
                "resourcePath": f"/{self.actor}",
                "url": f"{self.routes.payloads.web_base}/{self.actor}",
            },
            "pullRequest": {
                "__typename": "PullRequest",
                "id": pr.node_id,
                "number": pr.number,
                "state": pr.state.upper(),
                "merged": pr.merged,
                "autoMergeRequest": None
                if auto is None
                else {"mergeMethod": auto["merge_method"].upper(), "enabledAt": "2026-01-01T00:00:00Z"},
            },
        }

    def enablePullRequestAutoMerge(self, info: object, input: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr(input["pullRequestId"])
        try:
            self.routes.state.enable_auto_merge(pr, method=input.get("mergeMethod", "MERGE").lower(), actor=self.actor)
        except ForgeRefusalError as refusal:
            raise _GraphQLRefusalError(refusal.message) from None
        return self._payload(pr, input.get("clientMutationId"))

    def repository(self, info: object, owner: str, name: str, **_: object) -> _RepositoryNode:
        """The query root's `repository`: commits and their statuses (what `show` reads for its gates)."""
        return _RepositoryNode(self.routes)

    def disablePullRequestAutoMerge(self, info: object, input: dict[str, Any]) -> dict[str, Any]:
        pr = self._pr(input["pullRequestId"])
        self.routes.state.disable_auto_merge(pr)
        return self._payload(pr, input.get("clientMutationId"))


class _RepositoryNode:
    """`Repository.object(oid:)` as a Commit whose `status.contexts` holds the newest status of each context."""

    def __init__(self, routes: Routes) -> None:
        self.routes = routes

    def object(self, info: object, oid: str | None = None, expression: str | None = None) -> dict[str, Any] | None:
        if oid is None:
            return None
        newest: dict[str, Any] = {}
        for status in self.routes.state.statuses_for(oid):  # newest first
            newest.setdefault(status.context, status)
        contexts = [
            {
                "context": s.context,
                "state": s.state.upper(),
                "createdAt": s.created_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "description": s.description,
                "targetUrl": s.target_url,
            }
            for s in newest.values()
        ]
        return {"__typename": "Commit", "status": {"contexts": contexts} if contexts else None}
