"""The fake GitLab refuses what GitLab's published description does not allow (so a bad request fails a test)."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.forge.fixtures import seed_bare_repo
from tests.forge.gitlab_fake import TOKEN, FakeGitLab
from tests.forge.gitlab_schema import PYTHON_GITLAB_GAPS, load_gitlab_schema

MRS = "/api/v4/projects/acme%2Fplatform%2Fgitops/merge_requests"


@pytest.mark.parametrize(
    ("method", "path", "body", "problem"),
    [
        ("GET", "/api/v4/projects/acme%2Fgitops/pulls", None, "no such path"),
        ("DELETE", MRS + "/1", None, "DELETE is not declared"),
        ("POST", MRS, {"source_branch": "a", "target_branch": "main"}, "'title' is a required property"),
        ("PUT", MRS + "/1/merge", {"auto_merge": True, "delete_branch": True}, "'delete_branch' was unexpected"),
        ("GET", MRS + "?head=promote", None, "query parameter 'head' is not declared"),
        ("GET", MRS + "?state=open", None, "is not one of"),
    ],
)
def test_requests_gitlab_would_reject_are_violations(
    tmp_path: Path, method: str, path: str, body: object, problem: str
) -> None:
    bare = seed_bare_repo(tmp_path, {"README.md": "x\n"})
    with FakeGitLab(bare) as fake:
        answer = requests.request(method, fake.origin + path, json=body, headers={"PRIVATE-TOKEN": TOKEN}, timeout=5)
    assert answer.status_code == 400
    assert any(problem in v for v in fake.violations), fake.violations


def test_the_gap_is_only_what_python_gitlab_defines() -> None:
    """Only /version is taken from python-gitlab; it must not shadow an operation the extract has."""
    schema = load_gitlab_schema()
    assert set(PYTHON_GITLAB_GAPS) == {"/api/v4/version"}
    assert schema.validate("GET", "/api/v4/version", {"x": ["1"]}, b"") != []
    assert schema.validate("GET", "/api/v4/version", {}, b"") == []
