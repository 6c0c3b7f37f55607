"""The fake Azure DevOps' routes: resource locations (what OPTIONS ``_apis`` lists), request checks, answers.

Checks come from azure_schema: route and api-version against the SDK's own route table, bodies against the
SDK's models and git-7.1.json; the fake's own answers are held to the same descriptions.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from tests.forge.azure_schema import check_answer, check_model, sdk_routes, swagger
from tests.forge.azure_state import AzureState

GIT_AREA = "4e080c62-fa21-4fbc-8fef-2a10a2b38049"


@dataclass(frozen=True)
class Location:
    """An API resource location as OPTIONS ``_apis`` lists it (route templates as the service publishes)."""

    id: str
    area: str
    resource: str
    template: str
    version: int = 1  # the resource version: the SDK asks ``7.1-preview.<n>`` and negotiates down to this

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "area": self.area,
            "resourceName": self.resource,
            "routeTemplate": self.template,
            "resourceVersion": self.version,
            "minVersion": 1.0,
            "maxVersion": 7.1,
            "releasedVersion": "7.0",
        }

    def pattern(self) -> re.Pattern[str]:
        parts = []
        for segment in self.template.split("/"):
            if segment == "{area}":
                parts.append("/" + re.escape(self.area))
            elif segment == "{resource}":
                parts.append("/" + re.escape(self.resource))
            elif segment.startswith("{"):
                # The SDK drops route segments it has no value for, wherever they are.
                parts.append(f"(?:/(?P<{segment.strip('{}*')}>[^/]+))?")
            else:
                parts.append("/" + re.escape(segment))
        return re.compile("^" + "".join(parts) + "/?$", re.IGNORECASE)


PR_LOCATION = "9946fd70-0d40-406e-b686-b4744cbbcc37"
PR_BY_ID = "01a46dea-7d46-4d40-bc84-319e7c260d99"
PR_QUERY = "b3a6eebe-9cf0-49ea-b6cb-1a4c5f5007b0"
PR_STATUSES = "b5f6bb4f-8d1e-4d79-8d11-4c9172c99c35"
COMMIT_STATUSES = "428dd4fb-fda5-4722-af02-9313b80305da"
REPOSITORIES = "225f7195-f9c7-4d14-ab28-a83f7ff77e1f"
RESOURCE_AREAS = "e81700f7-3be2-46de-8624-2eb35882fcaa"
GIT_POLICIES = "2c420070-a0a2-49cc-9639-c9f271c5ff07"
PERMISSIONS = "dd3b8bd6-c7fc-4cbd-929a-933d9c011c9d"
CONNECTION_DATA = "00d9565f-ed9c-4a06-9a50-00e7896ccab4"
PR_LABELS = "f22387e3-984e-4c52-9c6d-fbb8f14c812d"
COMMITS_BATCH = "6400dfb2-0bcb-462b-b992-5a57f8f1416c"
LOCATIONS = (
    Location(
        PR_LOCATION,
        "git",
        "pullRequests",
        "{project}/_apis/{area}/repositories/{repositoryId}/{resource}/{pullRequestId}",
    ),
    Location(PR_BY_ID, "git", "pullRequests", "{project}/_apis/{area}/{resource}/{pullRequestId}"),
    Location(PR_QUERY, "git", "pullRequestQuery", "{project}/_apis/{area}/repositories/{repositoryId}/{resource}"),
    Location(
        PR_STATUSES,
        "git",
        "pullRequestStatuses",
        "{project}/_apis/{area}/repositories/{repositoryId}/pullRequests/{pullRequestId}/statuses/{statusId}",
    ),
    Location(
        COMMIT_STATUSES,
        "git",
        "statuses",
        "{project}/_apis/{area}/repositories/{repositoryId}/commits/{commitId}/{resource}",
    ),
    Location(
        PR_LABELS,
        "git",
        "pullRequestLabels",
        "{project}/_apis/{area}/repositories/{repositoryId}/pullRequests/{pullRequestId}/labels/{labelIdOrName}",
        version=1,
    ),
    Location(COMMITS_BATCH, "git", "commitsBatch", "{project}/_apis/{area}/repositories/{repositoryId}/{resource}"),
    Location(REPOSITORIES, "git", "repositories", "{project}/_apis/{area}/{resource}/{repositoryId}"),
    Location(GIT_POLICIES, "git", "policyConfigurations", "{project}/_apis/{area}/policy/configurations"),
    Location(RESOURCE_AREAS, "Location", "ResourceAreas", "_apis/{resource}/{areaId}"),
    Location(CONNECTION_DATA, "Location", "ConnectionData", "_apis/{resource}"),
    Location(
        PERMISSIONS,
        "Security",
        "Permissions",
        "_apis/{resource}/{securityNamespaceId}/{permissions}",
        version=2,
    ),
)
PATTERNS = [(location, location.pattern()) for location in LOCATIONS]


def validate_request(req: Request, location: Location) -> list[str]:
    """Problems with a request: route and api-version (SDK), body (SDK models, git-7.1.json), query."""
    where = f"{req.method} {req.rel}"
    route = sdk_routes().get((req.method, location.id))
    if route is None:
        return [f"{where}: the SDK never calls location {location.id} with {req.method}"]
    problems: list[str] = []
    if req.api_version != route.version:
        problems.append(f"{where}: api-version {req.api_version!r} in Accept, SDK {route.op} sends {route.version!r}")
    if route.body_model:
        problems += [f"{where} (SDK model): {p}" for p in check_model(route.body_model, req.body)]
    spec = swagger()
    if spec is None or location.area != "git":
        return problems
    operation = spec.operation(req.method, "/org" + req.rel)
    if operation is None:
        return [*problems, f"{where}: no such operation in git-7.1.json"]
    unknown = set(req.query) - operation.query
    if unknown:
        problems.append(f"{where}: query parameters {sorted(unknown)} not in git-7.1.json")
    if operation.body_ref:
        problems += [f"{where} (git-7.1.json): {p}" for p in spec.check_body(operation.body_ref, req.body)]
    return problems


def answer_problems(req: Request, location: Location, payload: Any) -> list[str]:
    """Keep the fake honest: its answers must read as the SDK's models and match git-7.1.json."""
    route = sdk_routes()[(req.method, location.id)]
    readings = [check_answer(model, payload) for model in route.answer_models]
    problems = [] if not readings or [] in readings else readings[0]
    spec = swagger()
    operation = spec.operation(req.method, "/org" + req.rel) if spec is not None and location.area == "git" else None
    if spec is not None and operation is not None:
        problems += spec.check_answer(operation, payload)
    return problems


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    headers: Any
    api_version: str | None
    body: Any
    rel: str = ""
    values: dict[str, str] = field(default_factory=dict)

    @property
    def number(self) -> int:
        return int(self.values["pullRequestId"])


def _search(state: AzureState, req: Request) -> Any:
    found = state.search(req.query)
    return {"count": len(found), "value": [state.pr_json(pr, cut=True) for pr in found]}


def _post_pr_status(state: AzureState, req: Request) -> Any:
    status = state.status(req.body)
    state.get(req.number).statuses.append(status)
    return status


def _pr_statuses(state: AzureState, req: Request) -> Any:
    statuses = list(reversed(state.get(req.number).statuses))
    return {"count": len(statuses), "value": statuses}


def _commit_statuses(state: AzureState, req: Request) -> Any:
    found = state.commit_status_list(req.values["commitId"])
    return {"count": len(found), "value": found}


def _commits_batch(state: AzureState, req: Request) -> Any:
    """The commits named by ``ids``, each with its statuses when ``includeStatuses`` is set."""
    commits = state.commits_batch(req.body.get("ids") or [], statuses=req.query.get("includeStatuses") == "true")
    return {"count": len(commits), "value": commits}


def _pr_labels(state: AzureState, req: Request) -> Any:
    names = state.get(req.number).labels
    tags = [{"id": f"00000000-0000-0000-0000-{i:012d}", "name": n, "active": True} for i, n in enumerate(names)]
    return {"count": len(tags), "value": tags}


# (location, method, has a pullRequestId) -> the answer
GIT_API: dict[tuple[str, str, bool], Callable[[AzureState, Request], Any]] = {
    (REPOSITORIES, "GET", False): lambda state, req: state.repository(),
    (PR_LOCATION, "GET", True): lambda state, req: state.pr_json(state.get(req.number)),
    (PR_BY_ID, "GET", True): lambda state, req: state.pr_json(state.get(req.number)),
    (PR_LOCATION, "PATCH", True): lambda state, req: state.pr_json(state.update(req.number, req.body)),
    (PR_LOCATION, "POST", False): lambda state, req: state.pr_json(state.create(req.body)),
    (PR_LOCATION, "GET", False): _search,
    (PR_QUERY, "POST", False): lambda state, req: state.query(req.body),
    (PR_STATUSES, "POST", True): _post_pr_status,
    (PR_STATUSES, "GET", True): _pr_statuses,
    (PR_LABELS, "GET", True): _pr_labels,
    (COMMIT_STATUSES, "POST", False): lambda state, req: state.post_commit_status(req.values["commitId"], req.body),
    (COMMIT_STATUSES, "GET", False): _commit_statuses,
    (COMMITS_BATCH, "POST", False): _commits_batch,
    (GIT_POLICIES, "GET", False): lambda state, req: state.policy_list(req.query),
}


@cache
def warm_up() -> None:
    """Import and build the validators on the test's thread before the server thread needs them.

    CPython 3.11 can fail with "AST constructor recursion depth mismatch" when two threads compile at once
    (pytest rewriting a test module while the server thread's first import builds dataclasses).
    """
    sdk_routes()
    check_model("GitStatusContext", {"genre": "g", "name": "n"})
    spec = swagger()
    if spec is not None:
        spec.check_body("#/definitions/GitStatusContext", {"genre": "g", "name": "n"})
