"""Many commits' Flux statuses in one `commitsbatch` request (issue 17: `show` read one commit at a time)."""

from __future__ import annotations

from gitops_promotion.providers.azure_devops import AzureDevOpsProvider
from tests.forge.azure_fake import AzureFake
from tests.forge.azure_fixtures import Seeded, run_git


def _commits(repo: Seeded, count: int) -> list[str]:
    return [repo.push_branch(f"topic-{i}", f"v{i}\n") for i in range(count)]


def _status_reads(fake: AzureFake) -> tuple[int, int]:
    """(commitsbatch requests, per-commit status listings)."""
    return len(fake.calls("POST", r"/commitsBatch$")), len(fake.calls("GET", r"/commits/[0-9a-f]+/statuses$"))


def test_one_request_reads_every_commit_as_the_per_commit_listing_does(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    first, second, quiet = _commits(azure_repo, 3)
    azure_forge.post_status(first, "pending", "kustomization/apps-dev/1a2b3c4d")
    azure_forge.post_status(first, "succeeded", "kustomization/apps-dev/1a2b3c4d")
    azure_forge.post_status(first, "succeeded", "ci/build", genre="azure-pipelines")
    azure_forge.post_status(second, "error", "kustomization/apps-qa/1a2b3c4d", genre="fluxcd:cluster-b")
    found = azure_provider.commit_statuses_many([first, second, quiet, first])
    assert _status_reads(azure_forge) == (1, 0)
    assert azure_forge.calls("POST", r"/commitsBatch$")[0].query.get("includeStatuses") == "true"
    assert list(found) == [first, second, quiet]
    assert [(s.context, s.state, s.genre) for s in found[first]] == [
        ("kustomization/apps-dev/1a2b3c4d", "success", "fluxcd")
    ]
    assert [(s.context, s.state, s.genre) for s in found[second]] == [
        ("kustomization/apps-qa/1a2b3c4d", "failure", "fluxcd:cluster-b")
    ]
    assert found[quiet] == []
    # The newest status per context is what the gate reads, and it is the same as the one-by-one listing's.
    assert found[second] == azure_provider.commit_statuses(second)
    assert found[first][0] == azure_provider.commit_statuses(first)[0]


def test_a_batch_the_service_refuses_is_read_one_commit_at_a_time(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    (known,) = _commits(azure_repo, 1)
    azure_forge.post_status(known, "succeeded", "kustomization/apps-dev/1a2b3c4d")
    unknown = "0123456789abcdef0123456789abcdef01234567"  # e.g. metadata naming a commit the remote lacks
    found = azure_provider.commit_statuses_many([known, unknown])
    assert _status_reads(azure_forge) == (1, 2)
    assert [s.state for s in found[known]] == ["success"] and found[unknown] == []


def test_more_than_a_hundred_commits_take_one_request_per_hundred(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    main = run_git(azure_repo.bare, "rev-parse", "main")
    shas = [main, *_commits(azure_repo, 1)] * 60 + [run_git(azure_repo.bare, "rev-parse", "topic-0")]
    found = azure_provider.commit_statuses_many(shas)
    assert set(found) == set(shas)
    assert _status_reads(azure_forge) == (1, 0)  # two distinct commits: one request
