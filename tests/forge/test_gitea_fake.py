"""The fake Gitea refuses what Gitea's published swagger does not allow (so a bad request fails a test)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.forge.fixtures import seed_bare_repo
from tests.forge.gitea_fake import TOKEN, FakeGitea

REPO = "/api/v1/repos/acme/gitops"


@pytest.mark.parametrize(
    ("method", "path", "body", "problem"),
    [
        ("GET", REPO + "/merge_requests", None, "no such path"),
        ("PUT", REPO + "/pulls/1", {"title": "x"}, "PUT is not declared"),
        ("POST", REPO + "/pulls/1/merge", {"merge_when_checks_succeed": True}, "'Do' is a required property"),
        ("POST", REPO + "/pulls/1/merge", {"Do": "octopus"}, "is not one of"),
        ("POST", REPO + "/pulls", {"head": "a", "base": "main", "draft": True}, "'draft' was unexpected"),
        ("GET", REPO + "/pulls?head=promote", None, "query parameter 'head' is not declared"),
        ("POST", REPO + "/statuses/abc", {"state": "succeeded", "context": "x"}, "is not one of"),
    ],
)
def test_requests_gitea_would_reject_are_violations(
    tmp_path: Path, method: str, path: str, body: object, problem: str
) -> None:
    bare = seed_bare_repo(tmp_path, {"README.md": "x\n"})
    with FakeGitea(bare) as fake:
        headers = {"Authorization": f"token {TOKEN}"}
        answer = requests.request(method, fake.origin + path, json=body, headers=headers, timeout=5)
    assert answer.status_code >= 400
    assert any(problem in v for v in fake.violations), fake.violations
