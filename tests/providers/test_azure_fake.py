"""The fake Azure DevOps rejects what the real service or the SDK would not accept (its checks have teeth)."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from tests.forge.azure_fake import AzureFake
from tests.forge.azure_fixtures import AZURE_TOKEN, Seeded
from tests.forge.azure_schema import check_model, sdk_routes, swagger

AUTH = {"Authorization": "Basic " + base64.b64encode(f":{AZURE_TOKEN}".encode()).decode()}
JSON_71 = {**AUTH, "Accept": "application/json;api-version=7.1-preview.1"}
PRS = "/org/proj/_apis/git/repositories/repo/pullRequests"
needs_spec = pytest.mark.skipif(
    swagger() is None, reason="../shared/specs/azure-devops/git-7.1.json is absent: Swagger checks cannot run"
)


def _send(fake: AzureFake, method: str, path: str, body: Any = None, headers: dict[str, str] | None = None) -> int:
    raw = json.dumps(body).encode() if body is not None else b""
    status, _, _ = fake.handle(method, path, headers or JSON_71, raw)
    return status


def _findings(fake: AzureFake) -> list[str]:
    found, fake.violations[:] = list(fake.violations), []  # consumed here, so the fixture stays green
    return found


def test_route_table_comes_from_the_sdk() -> None:
    routes = sdk_routes()
    create = routes[("POST", "9946fd70-0d40-406e-b686-b4744cbbcc37")]
    assert (create.op, create.version, create.body_model) == (
        "create_pull_request",
        "7.1-preview.1",
        "GitPullRequest",
    )
    assert routes[("POST", "b3a6eebe-9cf0-49ea-b6cb-1a4c5f5007b0")].body_model == "GitPullRequestQuery"


def test_sdk_models_reject_unknown_fields_and_wrong_types() -> None:
    assert check_model("GitPullRequest", {"title": "t", "autoCompleteSetBy": {"id": "x"}}) == []
    problems = check_model(
        "GitPullRequest",
        {
            "titel": "t",
            "pullRequestId": "1",
            "isDraft": 1,
            "completionOptions": {"mergeStrategy": "squash", "deleteBranch": True},
        },
    )
    assert problems == [
        "body.titel: not a field of the SDK model GitPullRequest",
        "body.pullRequestId: expected int, got str '1'",
        "body.isDraft: expected bool, got int 1",
        "body.completionOptions.deleteBranch: not a field of the SDK model GitPullRequestCompletionOptions",
    ]


def test_misspelt_body_field_is_a_violation(azure_forge: AzureFake, azure_repo: Seeded) -> None:
    azure_repo.push_branch("promote/a")
    body = {
        "sourceRefName": "refs/heads/promote/a",
        "targetRefName": "refs/heads/main",
        "title": "t",
        "descripton": "typo",
    }
    assert _send(azure_forge, "POST", PRS, body) == 400
    found = _findings(azure_forge)
    assert any("SDK model" in f and "descripton" in f for f in found)
    assert not azure_forge.prs


def test_wrong_api_version_and_unknown_route_are_violations(azure_forge: AzureFake) -> None:
    assert _send(azure_forge, "GET", PRS, headers={**AUTH, "Accept": "application/json;api-version=5.0"}) == 400
    assert _send(azure_forge, "GET", "/org/proj/_apis/git/repositories/repo/pullRequestz") == 404
    assert _send(azure_forge, "DELETE", f"{PRS}/1") == 400  # the SDK has no such call on this location
    found = _findings(azure_forge)
    assert len(found) == 3
    assert "api-version '5.0'" in found[0] and "no resource location" in found[1] and "never calls" in found[2]


def test_unauthenticated_requests_get_401(azure_forge: AzureFake) -> None:
    assert _send(azure_forge, "GET", PRS, headers={"Accept": "application/json;api-version=7.1-preview.1"}) == 401


@needs_spec
def test_swagger_rejects_enum_values_and_undeclared_query(azure_forge: AzureFake, azure_repo: Seeded) -> None:
    azure_repo.push_branch("promote/a")
    ok = {"sourceRefName": "refs/heads/promote/a", "targetRefName": "refs/heads/main", "title": "t"}
    assert _send(azure_forge, "POST", PRS, ok) == 200
    status = {"context": {"genre": "gitops-promotion", "name": "gate"}, "state": "success"}  # GitHub's word
    assert _send(azure_forge, "POST", f"{PRS}/1/statuses", status) == 400
    assert _send(azure_forge, "GET", f"{PRS}?searchCriteria.sourceRef=refs/heads/x") == 400
    found = _findings(azure_forge)
    assert any("git-7.1.json" in f and "'success' is not one of" in f for f in found)
    assert any("searchCriteria.sourceRef" in f for f in found)


@needs_spec
def test_swagger_definitions_are_closed_through_inheritance() -> None:
    spec = swagger()
    assert spec is not None
    good = {"context": {"genre": "g", "name": "n"}, "state": "succeeded", "iterationId": 1}
    assert spec.check_body("#/definitions/GitPullRequestStatus", good) == []  # own + inherited fields
    assert spec.check_body("#/definitions/GitPullRequestStatus", {**good, "colour": "red"}) != []


def test_the_fakes_own_answers_are_checked(
    azure_forge: AzureFake, azure_repo: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    azure_repo.push_branch("promote/a")
    real = azure_forge.state.pr_json

    def sloppy(pr: Any, *, cut: bool = False) -> dict[str, Any]:
        return {**real(pr, cut=cut), "pullRequestId": str(pr.id), "mergeStatus": "merged"}

    monkeypatch.setattr(azure_forge.state, "pr_json", sloppy)
    body = {"sourceRefName": "refs/heads/promote/a", "targetRefName": "refs/heads/main", "title": "t"}
    assert _send(azure_forge, "POST", PRS, body) == 200
    found = _findings(azure_forge)
    assert (
        "the fake's answer to POST /proj/_apis/git/repositories/repo/pullRequests: answer.pullRequestId: "
        "expected int, got str '1'" in found
    )
    if swagger() is not None:
        assert any("'merged' is not one of" in f for f in found)
