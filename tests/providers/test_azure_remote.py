"""Which Azure DevOps organisation, project and repository a remote or a pipeline points at."""

from __future__ import annotations

import pytest

from gitops_promotion.errors import UsageError
from gitops_promotion.providers.azure_remote import AzureRepo, resolve_repo


@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://dev.azure.com/org/proj/_git/repo", ("https://dev.azure.com/org", "proj", "repo")),
        ("https://org@dev.azure.com/org/proj/_git/repo", ("https://dev.azure.com/org", "proj", "repo")),
        (
            "https://dev.azure.com/org/My%20Project/_git/My%20Repo",
            ("https://dev.azure.com/org", "My Project", "My Repo"),
        ),
        ("https://dev.azure.com/org/_git/proj", ("https://dev.azure.com/org", "proj", "proj")),
        ("https://dev.azure.com/org/proj/_git/repo.git/", ("https://dev.azure.com/org", "proj", "repo")),
        ("https://org.visualstudio.com/proj/_git/repo", ("https://org.visualstudio.com", "proj", "repo")),
        (
            "https://org.visualstudio.com/DefaultCollection/proj/_git/repo",
            ("https://org.visualstudio.com/DefaultCollection", "proj", "repo"),
        ),
        ("git@ssh.dev.azure.com:v3/org/proj/repo", ("https://dev.azure.com/org", "proj", "repo")),
        (
            "ssh://git@ssh.dev.azure.com/v3/org/My%20Project/repo",
            ("https://dev.azure.com/org", "My Project", "repo"),
        ),
        ("org@vs-ssh.visualstudio.com:v3/org/proj/repo", ("https://org.visualstudio.com", "proj", "repo")),
        (
            "https://tfs.example.invalid/tfs/Coll/Proj/_git/Repo",
            ("https://tfs.example.invalid/tfs/Coll", "Proj", "Repo"),
        ),
        (
            "https://tfs.example.invalid:8443/Coll/Proj/_git/Repo",
            ("https://tfs.example.invalid:8443/Coll", "Proj", "Repo"),
        ),
    ],
)
def test_remote_forms(remote: str, expected: tuple[str, str, str]) -> None:
    assert resolve_repo(remote, {}) == AzureRepo(*expected)


def test_api_url_overrides_the_base_and_strips_a_known_collection_path() -> None:
    repo = resolve_repo(
        "https://tfs.example.invalid/tfs/Coll/_git/Repo", {}, api_url="https://tfs.example.invalid/tfs/Coll/"
    )
    assert repo == AzureRepo("https://tfs.example.invalid/tfs/Coll", "Repo", "Repo")
    fake = resolve_repo("https://dev.azure.com/org/proj/_git/repo", {}, api_url="http://127.0.0.1:9/org")
    assert fake == AzureRepo("http://127.0.0.1:9/org", "proj", "repo")


def test_pipeline_variables_fill_in_for_a_path_remote() -> None:
    env = {
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/org/",
        "SYSTEM_TEAMPROJECT": "My Project",
        "BUILD_REPOSITORY_NAME": "gitops",
    }
    assert resolve_repo("/tmp/remote.git", env) == AzureRepo("https://dev.azure.com/org", "My Project", "gitops")
    env["BUILD_REPOSITORY_URI"] = "https://dev.azure.com/org/other/_git/repo2"
    assert resolve_repo("/tmp/remote.git", env) == AzureRepo("https://dev.azure.com/org", "other", "repo2")


def test_web_url_quotes_names() -> None:
    assert (
        AzureRepo("https://dev.azure.com/o", "My Project", "r").web_url == "https://dev.azure.com/o/My%20Project/_git/r"
    )


def test_unknown_remote_names_what_is_missing_without_credentials() -> None:
    with pytest.raises(UsageError) as caught:
        resolve_repo("https://user:hunter2@example.invalid/some/repo.git", {})
    message = str(caught.value)
    assert "organisation URL (--api-url), project, repository" in message
    assert "hunter2" not in message and "SYSTEM_COLLECTIONURI" in message


def test_the_checkouts_own_azure_remote_wins_over_the_pipelines_repository() -> None:
    """An app repo's pipeline checking out the GitOps repo: Build.Repository.Uri names the app repo."""
    env = {"BUILD_REPOSITORY_URI": "https://dev.azure.com/org/apps/_git/podinfo", "SYSTEM_TEAMPROJECT": "apps"}
    repo = resolve_repo("https://org@dev.azure.com/org/platform/_git/gitops", env)
    assert repo == AzureRepo("https://dev.azure.com/org", "platform", "gitops")
