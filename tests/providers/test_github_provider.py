"""The GitHub adapter against the schema-validating fake: requests, auto-merge, statuses, retries, auth."""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from gitops_promotion.errors import ProviderError, PullRequestExists, UsageError
from gitops_promotion.providers import ProviderSettings
from gitops_promotion.providers.github import GitHubProvider, build
from gitops_promotion.providers.github_auth import WORKFLOW_AUTH_WARNING
from gitops_promotion.providers.github_urls import graphql_url_for, locate, parse_remote
from tests.forge.fixtures import FakeFactory, clone, git, seed_bare_repo
from tests.forge.github_fake import AppIdentity, FakeGitHub
from tests.forge.github_payloads import RepoSettings

REPO = "/repos/acme/gitops"
HEAD = "promote/apps-podinfo"


# -- locating the repository and the APIs --------------------------------------------------------------------
@pytest.mark.parametrize(
    ("remote", "expected"),
    [
        ("https://github.com/acme/gitops.git", ("github.com", "acme", "gitops")),
        ("https://github.com/acme/gitops", ("github.com", "acme", "gitops")),
        ("https://x-access-token:abc@github.com/acme/gitops.git/", ("github.com", "acme", "gitops")),
        ("git@github.com:acme/gitops.git", ("github.com", "acme", "gitops")),
        ("git@github.com:acme/gitops", ("github.com", "acme", "gitops")),
        ("ssh://git@github.com/acme/gitops.git", ("github.com", "acme", "gitops")),
        ("ssh://git@ghes.example.com:2222/platform/gitops.git", ("ghes.example.com", "platform", "gitops")),
        ("https://ghes.example.com/platform/gitops.git", ("ghes.example.com", "platform", "gitops")),
        ("/srv/git/gitops.git", None),
        ("./gitops.git", None),
        ("file:///srv/git/gitops.git", None),
        ("https://github.com/acme", None),
    ],
)
def test_parse_remote(remote: str, expected: tuple[str, str, str] | None) -> None:
    assert parse_remote(remote) == expected


@pytest.mark.parametrize(
    ("api", "graphql"),
    [
        ("https://api.github.com", "https://api.github.com/graphql"),
        ("https://ghes.example.com/api/v3", "https://ghes.example.com/api/graphql"),
        ("https://ghes.example.com/api/v3/", "https://ghes.example.com/api/graphql"),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/graphql"),
    ],
)
def test_graphql_url_is_derived_like_ghes(api: str, graphql: str) -> None:
    assert graphql_url_for(api) == graphql


def test_locate_prefers_the_remote_and_the_api_env() -> None:
    env = {"GITHUB_REPOSITORY": "org/app", "GITHUB_API_URL": "https://ghes.example.com/api/v3"}
    # A workflow of the app repo checking out the GitOps repo: the remote names the repo to act on.
    where = locate("https://ghes.example.com/org/gitops.git", env)
    assert (where.owner, where.repo) == ("org", "gitops")
    assert where.api_url == "https://ghes.example.com/api/v3"
    assert where.graphql_url == "https://ghes.example.com/api/graphql"
    assert locate("/srv/gitops.git", env).full_name == "org/app"  # no usable remote: the CI variable


def test_locate_infers_ghes_from_remote_host() -> None:
    where = locate("https://ghes.example.com/platform/gitops.git", {})
    assert where.full_name == "platform/gitops"
    assert where.api_url == "https://ghes.example.com/api/v3"
    assert where.graphql_url == "https://ghes.example.com/api/graphql"
    assert locate("git@github.com:acme/gitops.git", {}).api_url == "https://api.github.com"


def test_graphql_env_wins_unless_the_api_flag_points_elsewhere() -> None:
    env = {"GITHUB_API_URL": "https://api.github.com", "GITHUB_GRAPHQL_URL": "https://api.github.com/gql"}
    assert locate("git@github.com:a/b.git", env).graphql_url == "https://api.github.com/gql"
    flagged = locate("git@github.com:a/b.git", env, api_url="https://ghes.example.com/api/v3")
    assert flagged.graphql_url == "https://ghes.example.com/api/graphql"


@pytest.mark.parametrize(
    ("remote", "env", "fragment"),
    [
        (
            "git@github.com:a/b.git",
            {"GITHUB_API_URL": "https://api.github.com", "GITHUB_GRAPHQL_URL": "https://elsewhere.example/graphql"},
            "not on the API host",
        ),
        ("/srv/gitops.git", {}, "GITHUB_REPOSITORY"),
        ("/srv/gitops.git", {"GITHUB_REPOSITORY": "no-slash"}, "owner/repo"),
    ],
)
def test_locate_errors_name_the_setting(remote: str, env: dict[str, str], fragment: str) -> None:
    with pytest.raises(UsageError, match=fragment):
        locate(remote, env)


# -- a repository served by the fake -------------------------------------------------------------------------
class FakeSleep:
    """Records waits instead of sleeping; its clock advances by what was slept."""

    def __init__(self) -> None:
        self.waits: list[float] = []
        self.now = 1_000_000.0

    def __call__(self, seconds: float) -> None:
        self.waits.append(round(seconds, 3))
        self.now += seconds

    def clock(self) -> float:
        return self.now


@dataclass
class Forge:
    fake: FakeGitHub
    bare: Path
    work: Path
    sleep: FakeSleep = field(default_factory=FakeSleep)

    def settings(self, **overrides: Any) -> ProviderSettings:
        environ = {"GITHUB_REPOSITORY": "acme/gitops", "GITHUB_API_URL": self.fake.api_url}
        environ.update(overrides.pop("environ", {}))
        values: dict[str, Any] = {"token": self.fake.token, **overrides}
        return ProviderSettings(repo_root=self.work, remote_url=str(self.bare), environ=environ, **values)

    def provider(self, **overrides: Any) -> GitHubProvider:
        return build(self.settings(**overrides), sleep=self.sleep, clock=self.sleep.clock)

    def push_branch(self, branch: str, text: str = "tag: 2.0.0\n") -> str:
        git(self.work, "checkout", "-q", "-B", branch, "origin/main")
        (self.work / "app.yaml").write_text(text, encoding="utf-8")
        git(self.work, "commit", "-qam", f"change on {branch}")
        git(self.work, "push", "-qf", "origin", f"{branch}:{branch}")
        return git(self.work, "rev-parse", "HEAD")

    def push_main(self, text: str) -> str:
        git(self.work, "fetch", "-q", "origin")
        git(self.work, "checkout", "-q", "-B", "main", "origin/main")
        (self.work / "other.yaml").write_text(text, encoding="utf-8")
        git(self.work, "add", "other.yaml")
        git(self.work, "commit", "-qm", "direct push")
        git(self.work, "push", "-q", "origin", "main")
        return git(self.work, "rev-parse", "HEAD")


def _forge(tmp_path: Path, factory: FakeFactory, **options: Any) -> Forge:
    bare = seed_bare_repo(tmp_path, {"app.yaml": "tag: 1.0.0\n"})
    work = clone(bare, tmp_path / "work")
    fake = factory(bare, **options)
    fake.protect("main", "promotion-gate")
    return Forge(fake, bare, work)


@pytest.fixture
def forge(tmp_path: Path, github_fake_factory: FakeFactory) -> Forge:
    return _forge(tmp_path, github_fake_factory)


def _lines(fake: FakeGitHub) -> list[str]:
    return fake.request_lines()


# -- pull requests -------------------------------------------------------------------------------------------
def test_find_create_update_use_targeted_requests(forge: Forge) -> None:
    forge.push_branch(HEAD)
    provider = forge.provider()
    assert provider.find_open_pr(HEAD, "main") is None
    created = provider.create_pr(head=HEAD, base="main", title="Promote", body="<!-- metadata -->")
    found = provider.find_open_pr(HEAD, "main")
    assert found is not None and found.number == created.number and found.state == "open"
    updated = provider.update_pr(found, title="Promote v2", body="body 2")
    assert (updated.title, updated.body) == ("Promote v2", "body 2")
    assert forge.fake.pr(created.number).title == "Promote v2"
    assert provider.get_pr(created.number).title == "Promote v2"
    lookup = f"GET {REPO}/pulls?base=main&head=acme%3Apromote%2Fapps-podinfo&state=open"
    assert _lines(forge.fake) == [
        lookup,
        f"POST {REPO}/pulls",
        lookup,
        f"PATCH {REPO}/pulls/1",
        f"GET {REPO}/pulls/1",
    ]


def test_create_reports_a_pr_opened_concurrently(forge: Forge) -> None:
    forge.push_branch(HEAD)
    first = forge.provider().create_pr(head=HEAD, base="main", title="one", body="a")
    with pytest.raises(PullRequestExists, match=f"A pull request already exists for {HEAD}"):
        forge.provider().create_pr(head=HEAD, base="main", title="two", body="b")
    assert [(p.number, p.title) for p in forge.fake.prs] == [(first.number, "one")]


def test_update_from_another_run_costs_one_request(forge: Forge) -> None:
    forge.push_branch(HEAD)
    pr = forge.provider().create_pr(head=HEAD, base="main", title="one", body="a")
    forge.fake.clear_requests()
    forge.provider().update_pr(pr, title="t", body="b")
    assert _lines(forge.fake) == [f"PATCH {REPO}/pulls/1"]  # GitHub answers the PATCH with the PR: no read first


def test_list_open_prs_filters_by_prefix(forge: Forge) -> None:
    forge.push_branch(HEAD)
    forge.push_branch("feature/x", "tag: 3\n")
    provider = forge.provider()
    provider.create_pr(head=HEAD, base="main", title="a", body="")
    provider.create_pr(head="feature/x", base="main", title="b", body="")
    assert [p.head for p in provider.list_open_prs("promote/")] == [HEAD]


# -- auto-merge ----------------------------------------------------------------------------------------------
def test_auto_merge_enable_then_green_check_merges(forge: Forge) -> None:
    head_sha = forge.push_branch(HEAD)
    provider = forge.provider()
    pr = provider.create_pr(head=HEAD, base="main", title="t", body="b")
    assert provider.set_auto_merge(pr, enabled=True, merge_method="squash") == "enabled"
    assert forge.fake.pr(pr.number).auto_merge == {"merge_method": "squash", "enabled_by": "gitops-bot"}
    assert _lines(forge.fake)[-1] == "POST /graphql {enablePullRequestAutoMerge}"
    forge.fake.post_status(head_sha, "promotion-gate", "success")
    merged = provider.get_pr(pr.number)
    assert merged.state == "merged" and merged.merge_commit
    assert merged.merged_by == "gitops-bot"
    # squash: one parent, the tree of the head branch
    assert git(forge.work, "fetch", "-q", "origin") == ""
    assert git(forge.work, "show", "-s", "--format=%P", merged.merge_commit).count(" ") == 0
    assert git(forge.work, "show", f"{merged.merge_commit}:app.yaml") == "tag: 2.0.0"


def test_auto_merge_disable_and_unchanged(forge: Forge) -> None:
    forge.push_branch(HEAD)
    provider = forge.provider()
    pr = provider.create_pr(head=HEAD, base="main", title="t", body="b")
    assert provider.set_auto_merge(pr, enabled=False, merge_method="merge") == "unchanged"
    provider.set_auto_merge(pr, enabled=True, merge_method="merge")
    pr = provider.get_pr(pr.number)
    assert pr.auto_merge
    assert provider.set_auto_merge(pr, enabled=True, merge_method="merge") == "unchanged"
    forge.fake.clear_requests()
    assert provider.set_auto_merge(pr, enabled=False, merge_method="merge") == "disabled"
    assert forge.fake.pr(pr.number).auto_merge is None
    assert _lines(forge.fake) == ["POST /graphql {disablePullRequestAutoMerge}"]


def test_clean_status_merges_directly_pinned_to_head(forge: Forge) -> None:
    head_sha = forge.push_branch(HEAD)
    forge.fake.post_status(head_sha, "promotion-gate", "success")
    provider = forge.provider()
    pr = provider.create_pr(head=HEAD, base="main", title="t", body="b")
    forge.fake.clear_requests()
    assert provider.set_auto_merge(pr, enabled=True, merge_method="merge") == "merged"
    assert _lines(forge.fake) == ["POST /graphql {enablePullRequestAutoMerge}", f"PUT {REPO}/pulls/1/merge"]
    fake_pr = forge.fake.pr(pr.number)
    assert fake_pr.merged and fake_pr.head_sha == head_sha
    parents = git(forge.bare, "show", "-s", "--format=%P", "main").split()
    assert parents[1] == head_sha  # a real merge commit


@pytest.mark.parametrize(
    ("settings", "protect", "fragment"),
    [
        (RepoSettings(allow_auto_merge=False), True, "Allow auto-merge"),
        (RepoSettings(), False, "branch protection rule"),
        (RepoSettings(allow_rebase_merge=False), True, "merge_method"),
    ],
)
def test_auto_merge_refusals_name_the_setting(
    tmp_path: Path, github_fake_factory: FakeFactory, settings: RepoSettings, protect: bool, fragment: str
) -> None:
    forge = _forge(tmp_path, github_fake_factory, settings=settings)
    if not protect:
        forge.fake.state.settings.protection.clear()
    forge.push_branch(HEAD)
    provider = forge.provider()
    pr = provider.create_pr(head=HEAD, base="main", title="t", body="b")
    with pytest.raises(ProviderError, match=fragment) as caught:
        provider.set_auto_merge(pr, enabled=True, merge_method="rebase")
    assert "acme/gitops" in caught.value.message and "\n" not in caught.value.message
    assert forge.fake.pr(pr.number).state == "open"


# -- commits, PRs and statuses -------------------------------------------------------------------------------
def test_pr_for_commit_finds_the_merge_and_not_direct_pushes(forge: Forge) -> None:
    forge.push_branch(HEAD)
    provider = forge.provider()
    pr = provider.create_pr(head=HEAD, base="main", title="t", body="b")
    forge.fake.post_status(forge.fake.head_sha(pr.number), "promotion-gate", "success")
    merge_sha = forge.fake.merge(pr.number)
    found = provider.pr_for_commit(merge_sha, "main")
    assert found is not None and found.number == pr.number and found.state == "merged"
    assert found.merge_commit == merge_sha
    assert provider.pr_for_commit(merge_sha, "release") is None
    direct = forge.push_main("x: 1\n")
    forge.fake.clear_requests()
    assert provider.pr_for_commit(direct, "main") is None
    assert _lines(forge.fake) == [f"GET {REPO}/commits/{direct}/pulls"]


def test_pr_for_unknown_commit_is_an_error_not_a_skip(forge: Forge) -> None:
    with pytest.raises(ProviderError, match="No commit found"):
        forge.provider().pr_for_commit("0" * 40, "main")


def test_statuses_newest_first_and_conditional_repeat_costs_nothing(forge: Forge) -> None:
    sha = git(forge.bare, "rev-parse", "main")
    forge.fake.post_status(sha, "kustomization/apps-dev/aaaa1111", "failure")
    forge.fake.post_status(sha, "kustomization/apps-dev/aaaa1111", "success")
    forge.fake.post_status(sha, "kustomization/apps-qa", "pending")
    provider = forge.provider()
    first = provider.commit_statuses(sha)
    assert [(s.context, s.state) for s in first] == [
        ("kustomization/apps-qa", "pending"),
        ("kustomization/apps-dev/aaaa1111", "success"),
        ("kustomization/apps-dev/aaaa1111", "failure"),
    ]
    used = forge.fake.rate_used()
    assert provider.commit_statuses(sha) == first
    assert forge.fake.requests[-1].status == 304
    assert forge.fake.rate_used() == used  # the unchanged poll cost no rate limit
    forge.fake.post_status(sha, "kustomization/apps-qa", "error")
    assert provider.commit_statuses(sha)[0].state == "failure"
    assert forge.fake.requests[-1].status == 200


def test_statuses_beyond_one_page_are_read(forge: Forge) -> None:
    sha = git(forge.bare, "rev-parse", "main")
    forge.fake.post_status(sha, "kustomization/apps-dev/aaaa1111", "success")
    for index in range(150):
        forge.fake.post_status(sha, f"kustomization/other-{index}", "success")
    statuses = forge.provider().commit_statuses(sha)
    assert len(statuses) == 151 and statuses[-1].context == "kustomization/apps-dev/aaaa1111"
    assert [line.split("?")[1] for line in _lines(forge.fake)] == ["per_page=100", "page=2&per_page=100"]


# -- resilience ----------------------------------------------------------------------------------------------
def test_5xx_is_retried_with_backoff(forge: Forge) -> None:
    forge.fake.fail_next(2, status=502)
    assert forge.provider().find_open_pr(HEAD, "main") is None
    assert forge.sleep.waits == [1.0, 2.0]
    assert [r.status for r in forge.fake.requests] == [502, 502, 200]


def test_5xx_gives_up_with_one_line(forge: Forge) -> None:
    forge.fake.fail_next(5, status=503)
    with pytest.raises(ProviderError, match=r"^GitHub refused to look up the open pull request .*: 503") as caught:
        forge.provider().find_open_pr(HEAD, "main")
    assert "\n" not in str(caught.value)
    assert forge.sleep.waits == [1.0, 2.0, 4.0, 8.0]


def test_secondary_rate_limit_honours_retry_after(forge: Forge) -> None:
    forge.push_branch(HEAD)
    forge.fake.rate_limit_next("secondary", wait=7, match="POST")
    pr = forge.provider().create_pr(head=HEAD, base="main", title="t", body="b")
    assert pr.number == 1
    assert forge.sleep.waits == [7.0]


def test_primary_rate_limit_waits_for_reset(forge: Forge, monkeypatch: pytest.MonkeyPatch) -> None:
    forge.fake.rate_limit_next("primary", wait=30)
    provider = forge.provider()
    # The reset header is wall-clock epoch seconds: give the provider a clock that agrees.
    import time

    provider._retry.clock = time.time
    assert provider.find_open_pr(HEAD, "main") is None
    assert len(forge.sleep.waits) == 1 and 29 <= forge.sleep.waits[0] <= 32


def test_rate_limit_too_far_away_fails_clearly(forge: Forge) -> None:
    forge.fake.rate_limit_next("secondary", wait=3600)
    with pytest.raises(ProviderError, match="rate limit exhausted; it resets in 3600 s"):
        forge.provider().find_open_pr(HEAD, "main")


def test_dropped_connection_and_slow_answer_are_survived(forge: Forge) -> None:
    forge.fake.reset_next(1)
    forge.fake.slow_next(0.2)
    assert forge.provider().find_open_pr(HEAD, "main") is None
    assert forge.sleep.waits == [1.0]
    assert [r.status for r in forge.fake.requests] == [0, 200]


def test_writes_are_spaced_reads_are_not(forge: Forge) -> None:
    forge.push_branch(HEAD)
    provider = build(forge.settings(), sleep=forge.sleep, clock=lambda: 50.0)  # time stands still
    pr = provider.create_pr(head=HEAD, base="main", title="t", body="b")
    provider.find_open_pr(HEAD, "main")
    assert forge.sleep.waits == []
    provider.update_pr(pr, title="t2", body="b2")
    assert forge.sleep.waits == [1.0]


@pytest.mark.parametrize("value", ["fast", "-1", "600"])
def test_bad_write_interval_is_a_usage_error(forge: Forge, value: str) -> None:
    with pytest.raises(UsageError, match="GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL"):
        forge.provider(environ={"GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL": value})


def test_client_errors_are_not_retried_and_never_show_the_token(forge: Forge) -> None:
    provider = forge.provider(token="ghp_wrong_but_secret_value")
    with pytest.raises(ProviderError) as caught:
        provider.find_open_pr(HEAD, "main")
    assert "401 Bad credentials" in caught.value.message
    assert "ghp_wrong_but_secret_value" not in str(caught.value)
    assert forge.sleep.waits == []


def test_git_auth_header_is_basic_x_access_token(forge: Forge) -> None:
    header = forge.provider().git_auth_header()
    assert header is not None and header.startswith("Authorization: basic ")
    decoded = base64.b64decode(header.split()[-1]).decode()
    assert decoded == f"x-access-token:{forge.fake.token}"


# -- authentication ------------------------------------------------------------------------------------------
def test_no_token_names_the_flag(forge: Forge) -> None:
    with pytest.raises(UsageError, match="--token or set GITHUB_TOKEN"):
        forge.provider(token=None)


def test_workflow_token_warning(forge: Forge) -> None:
    actions = {"GITHUB_ACTIONS": "true"}
    forge.fake.tokens["ghs_workflow_token"] = "github-actions[bot]"
    assert forge.provider(token="ghs_workflow_token", environ=actions).warnings == [WORKFLOW_AUTH_WARNING]
    assert forge.provider(environ=actions).warnings == []  # a PAT (ghp_) starts workflows


def _rsa_pem() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


@pytest.fixture(scope="module")
def app_key() -> tuple[str, str]:
    return _rsa_pem()


@pytest.mark.parametrize("form", ["pem", "file", "escaped"])
def test_github_app_credentials_mint_an_installation_token(
    tmp_path: Path, github_fake_factory: FakeFactory, app_key: tuple[str, str], form: str
) -> None:
    private, public = app_key
    forge = _forge(tmp_path, github_fake_factory, app=AppIdentity(123456, public))
    key_arg = private
    if form == "file":
        key_file = tmp_path / "app.pem"
        key_file.write_text(private, encoding="utf-8")
        key_arg = str(key_file)
    elif form == "escaped":  # as pasted into a one-line CI variable
        key_arg = private.replace("\n", "\\n")
    provider = forge.provider(token=None, github_app_id="123456", github_app_private_key=key_arg)
    assert provider.find_open_pr(HEAD, "main") is None
    assert _lines(forge.fake) == [
        f"GET {REPO}/installation",
        "POST /app/installations/4242/access_tokens",
        f"GET {REPO}/pulls?base=main&head=acme%3Apromote%2Fapps-podinfo&state=open",
    ]
    forge.push_branch(HEAD)
    assert provider.create_pr(head=HEAD, base="main", title="t", body="b").author == "gitops-app[bot]"


def test_github_app_not_installed(tmp_path: Path, github_fake_factory: FakeFactory, app_key: tuple[str, str]) -> None:
    private, public = app_key
    forge = _forge(tmp_path, github_fake_factory, app=AppIdentity(1, public))
    forge.fake.routes.app_id = None  # the app exists but has no installation on acme/gitops
    with pytest.raises(ProviderError, match="GitHub App 1 is not installed on acme/gitops"):
        forge.provider(token=None, github_app_id="1", github_app_private_key=private)


@pytest.mark.parametrize(
    ("app_id", "key", "fragment"),
    [
        ("1", None, "needs --github-app-private-key"),
        (
            None,
            "-----BEGIN RSA PRIVATE KEY-----\nxx\n-----END RSA PRIVATE KEY-----\n",
            "needs --github-app-id",
        ),
        ("abc", "-----BEGIN X-----\n", "numeric App ID"),
        ("1", "-----BEGIN RSA PRIVATE KEY-----\nnot a key\n-----END RSA PRIVATE KEY-----\n", "not a valid"),
        ("1", "/does/not/exist.pem", "cannot read /does/not/exist.pem"),
        ("1", "<file without a key>", "holds no PEM key"),
    ],
)
def test_github_app_usage_errors(forge: Forge, app_id: str | None, key: str | None, fragment: str) -> None:
    if key == "<file without a key>":
        key = str(forge.work / "app.yaml")
    with pytest.raises(UsageError, match=fragment) as caught:
        forge.provider(token=None, github_app_id=app_id, github_app_private_key=key)
    assert "not a key" not in str(caught.value)  # key material is never echoed


# -- GitHub Enterprise Server and doctor ---------------------------------------------------------------------
def test_ghes_paths_and_graphql_endpoint(tmp_path: Path, github_fake_factory: FakeFactory) -> None:
    forge = _forge(tmp_path, github_fake_factory, ghes=True)
    assert forge.fake.api_url.endswith("/api/v3")
    forge.push_branch(HEAD)
    provider = forge.provider()
    pr = provider.create_pr(head=HEAD, base="main", title="t", body="b")
    assert pr.url.startswith(forge.fake.origin)
    assert provider.set_auto_merge(pr, enabled=True, merge_method="merge") == "enabled"
    assert _lines(forge.fake)[-1] == "POST /graphql {enablePullRequestAutoMerge}"


def test_settings_checks(forge: Forge) -> None:
    forge.fake.state.settings.allow_auto_merge = False
    checks = {
        c.name: c
        for c in forge.provider().settings_checks(base_branches=["main", "prod"], required_check="promotion-gate")
    }
    assert not checks["auto-merge allowed"].ok
    assert checks["token can push"].ok
    assert checks["branch protection on main requires 'promotion-gate'"].ok
    prod = checks["branch protection on prod requires 'promotion-gate'"]
    assert not prod.ok and prod.detail == "prod is not protected"
    # Reading protection needs admin rights a promotion token should not have: reported, not blocking.
    forge.fake.fail_next(1, status=403, match="/protection")
    checks = forge.provider().settings_checks(base_branches=["main"], required_check="promotion-gate")
    assert not checks[-1].ok and not checks[-1].blocking and "cannot read protection: 403" in checks[-1].detail


# -- the fake itself rejects what GitHub would reject --------------------------------------------------------
def test_fake_accepts_statuses_posted_over_http_and_auto_merges(forge: Forge) -> None:
    import requests

    head_sha = forge.push_branch(HEAD)
    provider = forge.provider()
    pr = provider.create_pr(head=HEAD, base="main", title="t", body="b")
    provider.set_auto_merge(pr, enabled=True, merge_method="merge")
    answer = requests.post(
        f"{forge.fake.api_url}{REPO}/statuses/{head_sha}",
        json={"state": "success", "context": "promotion-gate", "description": "gate open"},
        headers={"Authorization": f"token {forge.fake.token}"},
        timeout=5,
    )
    assert answer.status_code == 201 and answer.json()["context"] == "promotion-gate"
    assert forge.fake.pr(pr.number).merged


def test_fake_records_requests_github_would_reject(forge: Forge) -> None:
    import requests

    auth = {"Authorization": f"token {forge.fake.token}"}
    bad: list[tuple[str, str, Callable[..., Any]]] = [
        ("GET", f"{REPO}/pulls?state=bogus", requests.get),
        ("GET", f"{REPO}/pulls?colour=red", requests.get),
        ("DELETE", f"{REPO}/pulls", requests.delete),
        ("GET", f"{REPO}/no-such-thing", requests.get),
    ]
    for _, path, send in bad:
        assert send(forge.fake.api_url + path, headers=auth, timeout=5).status_code == 422
    answer = requests.post(forge.fake.api_url + f"{REPO}/pulls", json={"titel": "x"}, headers=auth, timeout=5)
    assert answer.status_code == 422
    answer = requests.post(
        forge.fake.graphql_url,
        json={"query": "mutation { enablePullRequestAutoMerge(input: {}) { x } }"},
        headers=auth,
        timeout=5,
    )
    assert answer.json()["errors"]
    assert len(forge.fake.violations) == 7  # the GraphQL document has two errors
    assert any("state" in v for v in forge.fake.violations)
    assert any("undeclared query parameter(s) colour" in v for v in forge.fake.violations)
    forge.fake.violations.clear()  # expected here; any other test fails on them
