"""The Azure DevOps adapter against the fake Azure DevOps (real HTTP, real SDK, real git merges)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from typing import Any

import pytest

from gitops_promotion.errors import ProviderError, PullRequestExists, UsageError
from gitops_promotion.providers import ProviderSettings
from gitops_promotion.providers import azure_devops as adapter
from gitops_promotion.providers.azure_devops import NO_IDENTITY, AzureDevOpsProvider, build
from tests.forge.azure_fake import IDENTITY, AzureFake
from tests.forge.azure_fixtures import AZURE_TOKEN, Seeded, Sleeps, run_git

Factory = Callable[..., tuple[AzureDevOpsProvider, Sleeps]]
LONG_BODY = "<!-- metadata = {} -->\n" + "x" * 900


def _open(provider: AzureDevOpsProvider, repo: Seeded, branch: str = "promote/apps-podinfo", **kw: Any) -> Any:
    repo.push_branch(branch, kw.pop("content", "v1\n"))
    return provider.create_pr(head=branch, base="main", title=kw.get("title", "Promote"), body=kw.get("body", "b"))


def _patches(fake: AzureFake) -> list[Any]:
    return [r.body for r in fake.calls("PATCH", r"/pullRequests/\d+$")]


# -- credentials ----------------------------------------------------------------------------------------
def test_pat_goes_as_basic_header_and_job_token_as_bearer(tmp_path: Any) -> None:
    settings = ProviderSettings(repo_root=tmp_path, remote_url="https://dev.azure.com/o/p/_git/r", token="s3cret")
    basic = base64.b64encode(b":s3cret").decode()
    assert build(settings).git_auth_header() == f"Authorization: Basic {basic}"
    job = ProviderSettings(
        repo_root=tmp_path,
        remote_url="https://dev.azure.com/o/p/_git/r",
        token="s3cret",
        environ={"SYSTEM_ACCESSTOKEN": "s3cret"},
    )
    assert build(job).git_auth_header() == "Authorization: Bearer s3cret"
    assert "s3cret" not in repr(build(job))


def test_missing_token_is_a_usage_error(tmp_path: Any) -> None:
    settings = ProviderSettings(repo_root=tmp_path, remote_url="https://dev.azure.com/o/p/_git/r")
    with pytest.raises(UsageError, match="SYSTEM_ACCESSTOKEN"):
        build(settings)


def test_bearer_job_token_is_accepted_by_the_api(
    azure_provider_factory: Factory, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    provider, _ = azure_provider_factory(environ={"SYSTEM_ACCESSTOKEN": AZURE_TOKEN})
    assert provider.find_open_pr("promote/x", "main") is None
    assert all(r.status == 200 for r in azure_forge.requests)


def test_wrong_token_fails_with_one_line_and_no_secret(azure_provider_factory: Factory) -> None:
    provider, _ = azure_provider_factory(token="wrong-token-value-42")
    with pytest.raises(ProviderError) as caught:
        provider.find_open_pr("promote/x", "main")
    assert "wrong-token-value-42" not in str(caught.value)
    assert "\n" not in str(caught.value)
    assert "authentication" in str(caught.value)


# -- pull requests --------------------------------------------------------------------------------------
def test_create_then_find_then_update(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    assert azure_provider.find_open_pr("promote/apps-podinfo", "main") is None
    head = azure_repo.push_branch("promote/apps-podinfo")
    pr = azure_provider.create_pr(head="promote/apps-podinfo", base="main", title="Promote", body="body")
    assert (pr.number, pr.state, pr.head, pr.base, pr.head_sha) == (
        1,
        "open",
        "promote/apps-podinfo",
        "main",
        head,
    )
    assert pr.url == f"{azure_forge.base_url}/proj/_git/repo/pullrequest/1"
    assert pr.author == IDENTITY["uniqueName"] and not pr.auto_merge
    found = azure_provider.find_open_pr("promote/apps-podinfo", "main")
    assert found == pr
    updated = azure_provider.update_pr(found, title="Promote 2", body="body 2")
    assert (updated.title, updated.body) == ("Promote 2", "body 2")
    assert azure_forge.prs[1].title == "Promote 2"
    assert azure_provider.update_pr(updated, title="Promote 2", body="body 2") == updated  # no-op: no call
    assert len(_patches(azure_forge)) == 1
    search = azure_forge.calls("GET", r"/pullRequests$")[0]
    assert search.query == {
        "searchCriteria.sourceRefName": "refs/heads/promote/apps-podinfo",
        "searchCriteria.targetRefName": "refs/heads/main",
        "searchCriteria.status": "active",
        "$top": "1",
    }
    assert {r.api_version for r in azure_forge.requests if r.method != "OPTIONS"} == {"7.1-preview.1"}


def test_long_description_cut_by_search_is_read_in_full(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    _open(azure_provider, azure_repo, body=LONG_BODY)
    found = azure_provider.find_open_pr("promote/apps-podinfo", "main")
    assert found is not None and found.body == LONG_BODY
    assert azure_forge.calls("GET", r"/_apis/git/pullRequests/1$")  # re-read by id after the cut search result


def test_create_when_one_exists_says_so(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    """TF401179: another run opened the PR between our look-up and our create; the command adopts it."""
    _open(azure_provider, azure_repo, title="Old", body="old")
    with pytest.raises(PullRequestExists, match="TF401179") as caught:
        azure_provider.create_pr(head="promote/apps-podinfo", base="main", title="New", body="new")
    assert "\n" not in str(caught.value)
    assert [r.status for r in azure_forge.calls("POST", r"/pullRequests$")] == [200, 409]
    assert len(azure_forge.prs) == 1


def test_retried_create_that_had_landed_reports_the_existing_pr(
    azure_provider_factory: Factory, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    """A 503 after the PR was created: the retry meets TF401179, never a second PR."""
    provider, sleeps = azure_provider_factory()
    azure_repo.push_branch("promote/apps-podinfo")
    azure_forge.fault("POST", r"/pullRequests$", 503, retry_after="0")
    azure_forge.before(
        "POST",
        r"/pullRequests$",
        lambda: azure_forge.state.create(
            {"sourceRefName": "refs/heads/promote/apps-podinfo", "targetRefName": "refs/heads/main", "title": "t"}
        ),
    )
    with pytest.raises(PullRequestExists):
        provider.create_pr(head="promote/apps-podinfo", base="main", title="t", body="b")
    assert [r.status for r in azure_forge.calls("POST")] == [503, 409]
    assert sleeps.waits == [0.0] and len(azure_forge.prs) == 1


def test_update_of_a_pr_completed_meanwhile_rereads_it(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    """TF401181: the PR completed between our look-up and our update; we carry on with its merged state."""
    pr = _open(azure_provider, azure_repo)
    azure_forge.before("PATCH", r"/pullRequests/1$", lambda: azure_forge.state.complete(1))
    after = azure_provider.update_pr(pr, title="Changed", body="changed")
    assert after.state == "merged" and after.merge_commit == run_git(azure_repo.bare, "rev-parse", "main")
    assert [r.status for r in azure_forge.calls("PATCH")] == [409]


def test_other_api_errors_are_provider_errors(azure_provider_factory: Factory) -> None:
    provider, _ = azure_provider_factory(remote="https://dev.azure.com/org/proj/_git/nope")
    with pytest.raises(ProviderError, match=r"TF401019.*nope") as caught:
        provider.find_open_pr("promote/x", "main")
    assert "\n" not in str(caught.value)


# -- auto-complete --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("method", "strategy"), [("merge", "noFastForward"), ("squash", "squash"), ("rebase", "rebase")]
)
def test_auto_complete_set_by_creator_with_mapped_strategy(
    azure_provider: AzureDevOpsProvider,
    azure_repo: Seeded,
    azure_forge: AzureFake,
    method: Any,
    strategy: str,
) -> None:
    pr = _open(azure_provider, azure_repo)
    assert azure_provider.set_auto_merge(pr, enabled=True, merge_method=method) == "enabled"
    assert _patches(azure_forge) == [
        {
            "autoCompleteSetBy": {"id": IDENTITY["id"]},
            "completionOptions": {
                "mergeStrategy": strategy,
                "deleteSourceBranch": True,
                "transitionWorkItems": False,
            },
        }
    ]
    assert azure_provider.get_pr(pr.number).auto_merge
    assert azure_provider.set_auto_merge(pr, enabled=True, merge_method=method) == "unchanged"
    assert len(_patches(azure_forge)) == 1


def test_auto_complete_cleared_with_the_empty_identity(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    pr = _open(azure_provider, azure_repo)
    assert azure_provider.set_auto_merge(pr, enabled=False, merge_method="merge") == "unchanged"
    assert _patches(azure_forge) == []  # keeping it off costs nothing
    azure_provider.set_auto_merge(pr, enabled=True, merge_method="merge")
    pr = azure_provider.get_pr(pr.number)
    assert azure_provider.set_auto_merge(pr, enabled=False, merge_method="merge") == "disabled"
    assert _patches(azure_forge)[-1] == {"autoCompleteSetBy": {"id": NO_IDENTITY}}
    assert not azure_provider.get_pr(pr.number).auto_merge


def test_strategy_change_is_patched(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    pr = _open(azure_provider, azure_repo)
    azure_provider.set_auto_merge(pr, enabled=True, merge_method="merge")
    assert azure_provider.set_auto_merge(pr, enabled=True, merge_method="squash") == "enabled"
    assert _patches(azure_forge)[-1]["completionOptions"]["mergeStrategy"] == "squash"


def test_auto_complete_on_a_pr_completed_meanwhile(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    pr = _open(azure_provider, azure_repo)
    azure_forge.before("PATCH", r"/pullRequests/1$", lambda: azure_forge.state.complete(1))
    assert azure_provider.set_auto_merge(pr, enabled=True, merge_method="merge") == "merged"
    already = azure_provider.get_pr(pr.number)
    assert azure_provider.set_auto_merge(already, enabled=True, merge_method="merge") == "merged"
    assert len(_patches(azure_forge)) == 1  # the 409; a completed PR is not patched again


@pytest.mark.parametrize(("method", "parents"), [("merge", 2), ("squash", 1), ("rebase", 1)])
def test_completion_is_a_real_git_merge(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake, method: Any, parents: int
) -> None:
    pr = _open(azure_provider, azure_repo, content="promoted\n")
    azure_provider.set_auto_merge(pr, enabled=True, merge_method=method)
    azure_forge.require_status("gitops-promotion", "gate")
    assert azure_forge.auto_complete() == []  # the policy waits for the gate
    azure_provider.report_gate(pr, state="success", description="reconciled")
    assert azure_forge.auto_complete() == [pr.number]
    tip = run_git(azure_repo.bare, "rev-parse", "main")
    assert len(run_git(azure_repo.bare, "rev-list", "--parents", "-n1", tip).split()) == parents + 1
    assert run_git(azure_repo.bare, "show", f"{tip}:file.txt") == "promoted"
    assert run_git(azure_repo.bare, "branch", "--list", "promote/apps-podinfo") == ""  # source deleted
    merged = azure_provider.get_pr(pr.number)
    assert (merged.state, merged.merge_commit, merged.merged_by) == ("merged", tip, IDENTITY["uniqueName"])


# -- promote: the PR behind a merge commit ---------------------------------------------------------------
def test_pr_for_commit_finds_the_completed_pr_in_full(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    pr = _open(azure_provider, azure_repo, body=LONG_BODY)
    tip = azure_forge.complete(pr.number)
    found = azure_provider.pr_for_commit(tip, "main")
    assert found is not None and (found.number, found.body, found.state) == (pr.number, LONG_BODY, "merged")
    query = azure_forge.calls("POST", "pullRequestQuery")[0].body
    assert query == {"queries": [{"items": [tip], "type": "lastMergeCommit"}]}
    assert azure_provider.pr_for_commit(tip, "other") is None
    seed = run_git(azure_repo.bare, "rev-parse", "main~1")
    assert azure_provider.pr_for_commit(seed, "main") is None  # a direct push: no PR


# -- statuses -------------------------------------------------------------------------------------------
def test_flux_statuses_are_mapped_and_others_skipped(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    sha = run_git(azure_repo.bare, "rev-parse", "main")
    azure_forge.post_status(sha, "pending", "kustomization/apps-dev/1a2b3c4d")
    azure_forge.post_status(sha, "succeeded", "kustomization/apps-dev/1a2b3c4d", genre="fluxcd:cluster-a")
    azure_forge.post_status(sha, "error", "kustomization/apps-qa/1a2b3c4d")
    azure_forge.post_status(sha, "failed", "kustomization/apps-prod")
    azure_forge.post_status(sha, "notApplicable", "kustomization/apps-dev/ffffffff")
    azure_forge.post_status(sha, "notSet", "kustomization/apps-dev/eeeeeeee")
    azure_forge.post_status(sha, "succeeded", "ci/build", genre="azure-pipelines")
    statuses = azure_provider.commit_statuses(sha)
    assert [(s.context, s.state, s.genre) for s in statuses] == [
        ("kustomization/apps-prod", "failure", "fluxcd"),
        ("kustomization/apps-qa/1a2b3c4d", "failure", "fluxcd"),
        ("kustomization/apps-dev/1a2b3c4d", "success", "fluxcd:cluster-a"),
        ("kustomization/apps-dev/1a2b3c4d", "pending", "fluxcd"),
    ]
    assert statuses[0].created_at > statuses[-1].created_at


def test_gate_result_posted_as_pr_status(
    azure_provider_factory: Factory, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    env = {
        "SYSTEM_COLLECTIONURI": "https://dev.azure.com/org/",
        "SYSTEM_TEAMPROJECT": "proj",
        "BUILD_BUILDID": "7",
    }
    provider, _ = azure_provider_factory(environ=env)
    pr = _open(provider, azure_repo)
    provider.report_gate(pr, state="failure", description="reconciliation failed for apps-dev")
    provider.report_gate(pr, state="success", description="successful reconciliation for apps-dev")
    posted = [r.body for r in azure_forge.calls("POST", r"/pullRequests/1/statuses$")]
    assert posted[0] == {
        "context": {"genre": "gitops-promotion", "name": "gate"},
        "state": "failed",
        "description": "reconciliation failed for apps-dev",
        "targetUrl": "https://dev.azure.com/org/proj/_build/results?buildId=7",
    }
    assert posted[1]["state"] == "succeeded"


def test_list_open_prs_by_prefix(azure_provider: AzureDevOpsProvider, azure_repo: Seeded) -> None:
    _open(azure_provider, azure_repo, "promote/apps-a")
    _open(azure_provider, azure_repo, "promote/apps-b", body=LONG_BODY)
    _open(azure_provider, azure_repo, "feature/apps-a-x")
    found = azure_provider.list_open_prs("promote/")
    assert sorted(p.head for p in found) == ["promote/apps-a", "promote/apps-b"]
    assert next(p for p in found if p.head == "promote/apps-b").body == LONG_BODY


# -- retries (DESIGN 8: POST and PATCH need our own) -------------------------------------------------------
def test_post_retried_on_503_and_429_honouring_retry_after(
    azure_provider_factory: Factory, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    provider, sleeps = azure_provider_factory()
    azure_repo.push_branch("promote/apps-podinfo")
    azure_forge.fault("POST", r"/pullRequests$", 503, retry_after="3")
    azure_forge.fault("POST", r"/pullRequests$", 429, retry_after="7")
    pr = provider.create_pr(head="promote/apps-podinfo", base="main", title="t", body="b")
    assert pr.number == 1 and len(azure_forge.prs) == 1
    assert [r.status for r in azure_forge.calls("POST")] == [503, 429, 200]
    assert sleeps.waits == [3.0, 7.0]


def test_patch_and_get_retried_with_backoff(
    azure_provider_factory: Factory, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    provider, sleeps = azure_provider_factory()
    pr = _open(provider, azure_repo)
    azure_forge.fault("PATCH", r"/pullRequests/1$", 500, times=2)
    azure_forge.fault("GET", r"/statuses$", 502)
    provider.set_auto_merge(pr, enabled=True, merge_method="merge")
    provider.commit_statuses(run_git(azure_repo.bare, "rev-parse", "main"))
    assert sleeps.waits == [1.0, 2.0, 1.0]


def test_retries_give_up_with_a_provider_error(azure_provider_factory: Factory, azure_forge: AzureFake) -> None:
    provider, sleeps = azure_provider_factory()
    azure_forge.fault("GET", r"/pullRequests$", 503, times=10, retry_after="1")
    with pytest.raises(ProviderError, match="503"):
        provider.find_open_pr("promote/x", "main")
    assert sleeps.waits == [1.0, 1.0, 1.0]
    assert len(azure_forge.calls("GET", r"/pullRequests$")) == 4


def test_non_retryable_errors_are_not_retried(azure_provider_factory: Factory, azure_forge: AzureFake) -> None:
    provider, sleeps = azure_provider_factory()
    azure_forge.fault("GET", r"/pullRequests$", 403)
    with pytest.raises(ProviderError):
        provider.find_open_pr("promote/x", "main")
    assert sleeps.waits == []


# -- where the API lives ----------------------------------------------------------------------------------
def test_on_premises_collection_without_resource_areas(azure_repo: Seeded, tmp_path: Any) -> None:
    with AzureFake(
        azure_repo.bare,
        project="My Project",
        repo="Gitops Repo",
        collection="/tfs/Coll",
        token=AZURE_TOKEN,
        resource_areas=False,
    ) as fake:
        settings = ProviderSettings(
            repo_root=tmp_path,
            remote_url="https://tfs.example.invalid/tfs/Coll/My%20Project/_git/Gitops%20Repo",
            token=AZURE_TOKEN,
            api_url=fake.base_url,
            environ={"AZURE_DEVOPS_CACHE_DIR": str(tmp_path / "c")},
        )
        provider = build(settings, sleep=Sleeps())
        azure_repo.push_branch("promote/apps-podinfo")
        pr = provider.create_pr(head="promote/apps-podinfo", base="main", title="t", body="b")
        assert pr.url == f"{fake.base_url}/My%20Project/_git/Gitops%20Repo/pullrequest/1"
        assert fake.calls("POST", r"^/tfs/Coll/My Project/_apis/git/repositories/Gitops Repo/pullRequests$")
    assert not fake.violations


def test_sdk_caches_locations_in_the_configured_dir(
    azure_provider_factory: Factory, azure_forge: AzureFake, tmp_path: Any
) -> None:
    provider, _ = azure_provider_factory()
    provider.find_open_pr("promote/x", "main")
    assert (tmp_path / "azure-cache" / "options.json").is_file()
    assert (tmp_path / "azure-cache" / "resources.json").is_file()


# -- doctor ---------------------------------------------------------------------------------------------
def test_doctor_sees_gate_policies_and_push_rights(azure_provider: AzureDevOpsProvider, azure_forge: AzureFake) -> None:
    from gitops_promotion.providers.azure_doctor import BUILD_POLICY, STATUS_POLICY

    azure_forge.add_policy("main", BUILD_POLICY, {"buildDefinitionId": 12, "displayName": "gitops gate"})
    azure_forge.add_policy("release", STATUS_POLICY, {"statusGenre": "gitops-promotion", "statusName": "gate"})
    azure_forge.add_policy("qa", BUILD_POLICY, {"buildDefinitionId": 3, "displayName": "unit tests"})
    azure_forge.add_policy("prod", BUILD_POLICY, {"buildDefinitionId": 12}, blocking=False)
    checks = azure_provider.settings_checks(
        base_branches=["main", "release", "qa", "prod"], required_check="gitops gate"
    )
    assert [(c.name, c.ok) for c in checks] == [
        ("a required policy on main runs the gate", True),
        ("a required policy on release runs the gate", True),
        ("a required policy on qa runs the gate", False),
        ("a required policy on prod runs the gate", False),
        ("the token can push branches and open pull requests", True),
    ]
    assert checks[0].detail == "build validation gitops gate"
    assert "Policies > qa" in checks[2].fix and "gitops-promotion/gate" in checks[2].fix
    policy_reads = azure_forge.calls("GET", "policy/configurations")
    assert policy_reads[0].query["refName"] == "refs/heads/main"


def test_doctor_names_missing_push_rights(azure_provider: AzureDevOpsProvider, azure_forge: AzureFake) -> None:
    azure_forge.deny(8)  # no force push: `new` could not rewrite an existing promotion branch
    (rights,) = azure_provider.settings_checks(base_branches=[], required_check="")
    assert not rights.ok
    assert rights.detail == "cannot force-push promotion branches"
    assert "'Force push (rewrite history, delete branches and tags)'" in rights.fix
    assert len(azure_forge.calls("GET", "/_apis/Permissions/")) == 4


def test_building_the_adapter_loads_no_sdk(tmp_path: Any) -> None:
    """The SDK (and msrest, requests) load on the first API call, not when the CLI builds the provider."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; "
        "from gitops_promotion.providers import ProviderSettings, build_provider; "
        "p = build_provider('azdo', ProviderSettings(repo_root=Path('.'), token='t', "
        "remote_url='https://dev.azure.com/o/p/_git/r')); p.git_auth_header(); "
        "print([m for m in ('azure', 'msrest', 'requests') if m in sys.modules])"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert done.stdout.strip() == "[]"


def test_resource_area_look_up_goes_through_our_retry(azure_provider_factory: Factory, azure_forge: AzureFake) -> None:
    """The SDK's own resource-area client would sleep for real on 429; ours records the wait instead."""
    provider, sleeps = azure_provider_factory()
    azure_forge.fault("GET", "ResourceAreas", 429, retry_after="5")
    azure_forge.fault("OPTIONS", "_apis", 503, retry_after="2")
    assert provider.find_open_pr("promote/x", "main") is None
    assert sorted(sleeps.waits) == [2.0, 5.0]


def test_list_open_prs_pages_through_the_search(
    azure_provider: AzureDevOpsProvider, azure_repo: Seeded, azure_forge: AzureFake, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(adapter, "_PAGE", 2)
    for name in ("a", "b", "c", "d", "e"):
        _open(azure_provider, azure_repo, f"promote/apps-{name}")
    found = azure_provider.list_open_prs("promote/")
    assert sorted(p.head for p in found) == [f"promote/apps-{n}" for n in "abcde"]
    pages = [(r.query.get("$top"), r.query.get("$skip")) for r in azure_forge.calls("GET", r"/pullRequests$")]
    assert pages == [("2", None), ("2", "2"), ("2", "4")]


def test_auto_complete_on_someone_elses_pr_is_set_as_the_token(
    azure_provider_factory: Factory, azure_repo: Seeded, azure_forge: AzureFake
) -> None:
    """Auto-complete can only be set by the caller: a PR opened by a person gets the token's identity."""
    opener, _ = azure_provider_factory()
    _open(opener, azure_repo)
    azure_forge.prs[1].created_by = {"id": "0f0f0f0f-1111-2222-3333-444444444444", "displayName": "A Person"}
    provider, _ = azure_provider_factory()  # a later run: it did not create the PR
    pr = provider.find_open_pr("promote/apps-podinfo", "main")
    assert pr is not None and pr.author == "A Person"
    assert provider.set_auto_merge(pr, enabled=True, merge_method="merge") == "enabled"
    assert _patches(azure_forge)[-1]["autoCompleteSetBy"] == {"id": IDENTITY["id"]}
    assert len(azure_forge.calls("GET", "/_apis/ConnectionData$")) == 1


def test_a_slow_answer_times_out_and_is_retried(azure_provider_factory: Factory, azure_forge: AzureFake) -> None:
    provider, sleeps = azure_provider_factory()
    assert provider.find_open_pr("promote/x", "main") is None  # connects (locations, areas) first
    provider.git_client.config.connection.timeout = 0.2
    azure_forge.fault("GET", r"/pullRequests$", 200, delay=0.5)  # slow, not failing
    assert provider.find_open_pr("promote/x", "main") is None
    assert sleeps.waits == [1.0]
    assert len(azure_forge.calls("GET", r"/pullRequests$")) == 3
