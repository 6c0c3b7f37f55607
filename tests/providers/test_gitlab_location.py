"""Where the GitLab project, server and token come from (remote forms, CI variables, the job token refused)."""

from __future__ import annotations

import pytest

from gitops_promotion.errors import UsageError
from gitops_promotion.providers import detect_provider
from gitops_promotion.providers.gitlab_location import locate, parse_remote, resolve_token


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://gitlab.com/acme/gitops.git", ("https://gitlab.com", "acme/gitops")),
        (
            "https://gitlab.example.com:8443/acme/platform/gitops",
            ("https://gitlab.example.com:8443", "acme/platform/gitops"),
        ),
        (
            "git@gitlab.example.com:acme/platform/team/gitops.git",
            ("https://gitlab.example.com", "acme/platform/team/gitops"),
        ),
        ("ssh://git@gitlab.example.com:2222/acme/gitops.git", ("https://gitlab.example.com", "acme/gitops")),
        ("https://oauth2:secret@gitlab.example.com/acme/gitops.git", ("https://gitlab.example.com", "acme/gitops")),
        ("/tmp/remote.git", None),
        ("https://gitlab.example.com/lonely", None),
    ],
)
def test_remote_forms(url: str, expected: tuple[str, str] | None) -> None:
    assert parse_remote(url) == expected


def test_the_remote_wins_over_ci_project_path_and_ci_server_sets_the_api() -> None:
    env = {"CI_PROJECT_PATH": "acme/app", "CI_SERVER_URL": "https://git.corp.example"}
    where = locate("git@git.corp.example:acme/platform/gitops.git", env)
    assert (where.server, where.project, where.project_id) == (
        "https://git.corp.example",
        "acme/platform/gitops",
        "acme%2Fplatform%2Fgitops",
    )


def test_api_url_flag_then_ci_api_v4_url() -> None:
    env = {"CI_PROJECT_PATH": "acme/gitops", "CI_API_V4_URL": "https://ci.example/api/v4"}
    assert locate("/tmp/remote.git", env).server == "https://ci.example"
    assert locate("/tmp/remote.git", env, "https://flag.example/api/v4/").server == "https://flag.example"


def test_no_project_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="CI_PROJECT_PATH"):
        locate("/tmp/remote.git", {})


def test_token_order_and_the_job_token_is_refused() -> None:
    assert resolve_token("flag-token", {"GITLAB_TOKEN": "env-token"}) == "flag-token"
    assert resolve_token(None, {"GL_TOKEN": "gl", "CI_JOB_TOKEN": "job"}) == "gl"
    with pytest.raises(UsageError, match="CI_JOB_TOKEN cannot push to the repository or open merge requests"):
        resolve_token(None, {"CI_JOB_TOKEN": "job-token-value"})
    with pytest.raises(UsageError, match="the token given is CI_JOB_TOKEN") as raised:
        resolve_token("job-token-value", {"CI_JOB_TOKEN": "job-token-value"})
    assert "job-token-value" not in str(raised.value)
    with pytest.raises(UsageError, match="GITLAB_TOKEN"):
        resolve_token(None, {})


@pytest.mark.parametrize(
    ("environ", "remote", "expected"),
    [
        ({"GITLAB_CI": "true"}, "/tmp/r.git", "gitlab"),
        ({"GITEA_ACTIONS": "true", "GITHUB_ACTIONS": "true"}, "/tmp/r.git", "gitea"),
        ({"FORGEJO_ACTIONS": "true", "GITHUB_ACTIONS": "true"}, "/tmp/r.git", "gitea"),
        ({"GITHUB_ACTIONS": "true"}, "/tmp/r.git", "github"),
        ({}, "git@gitlab.example.com:a/b.git", "gitlab"),
        ({}, "https://codeberg.org/a/b.git", "gitea"),
        ({}, "https://gitea.example.com/a/b.git", "gitea"),
        ({}, "https://dev.azure.com/o/p/_git/r", "azdo"),
        ({}, "https://github.com/a/b.git", "github"),
        ({}, "/tmp/r.git", "local"),
    ],
)
def test_detection(environ: dict[str, str], remote: str, expected: str) -> None:
    assert detect_provider(environ, remote) == expected
