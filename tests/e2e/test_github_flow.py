"""The whole GitHub flow through the real CLI against the schema-validating fake GitHub (tests/forge)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import git
from tests.e2e.layouts import LAYOUTS, Layout
from tests.e2e.scenarios import BRANCH, SCENARIOS, cases, play
from tests.e2e.steps import (
    EditConfig,
    ExpectPR,
    Flux,
    Gate,
    PRView,
    Sync,
    cluster_suffix,
    new,
    promote,
    run_cli,
    status,
)
from tests.forge.fixtures import FakeFactory
from tests.forge.github_fake import AppIdentity, FakeGitHub

pytestmark = pytest.mark.e2e
GATE = "promotion-gate"  # the required check: the workflow job that runs `status`
REPO = "/repos/acme/gitops"


@dataclass
class GitHubDriver:
    """Plays scenario steps on the fake GitHub; the CLI sees it through GITHUB_API_URL like in Actions."""

    fake: FakeGitHub
    work: Path
    remote: Path
    capsys: pytest.CaptureFixture[str]
    ci: dict[str, str] = field(default_factory=dict)  # the CI variables of the job the CLI runs in

    def cli(self, *args: str) -> tuple[int, str]:
        return run_cli(self.capsys, self.ci, [*args, "--sourcedir", str(self.work), "--provider", "github"])

    def gate(self, pr: int) -> None:
        self.fake.post_status(self.fake.head_sha(pr), GATE, "success")

    def merge(self, pr: int) -> None:
        self.fake.merge(pr)

    def pr(self, number: int) -> PRView:
        pr = self.fake.pr(number)
        state = "merged" if pr.merged else pr.state
        return PRView(number, state, pr.auto_merge is not None, pr.head, pr.merge_commit_sha, pr.base)

    def open_pr(self, head: str, base: str) -> int:
        with self.fake.state.lock:
            pr = self.fake.state.create_pull(title="Docs", head=head, base=base, body="by a human", user="octo-human")
        return pr.number

    def pushed(self, branch: str) -> None:
        self.ci = {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": f"refs/heads/{branch}"}

    def open_pr_count(self) -> int:
        return sum(1 for pr in self.fake.prs if pr.state == "open")

    def flux(self, sha: str, name: str, state: str, cluster: str | None) -> None:
        context = f"kustomization/{name}" + (f"/{cluster_suffix(cluster)}" if cluster else "")
        self.fake.post_status(sha, context, state, description=f"reconciliation {state}")

    def git(self, *args: str) -> str:
        return git(self.work, *args)


def _environ(monkeypatch: pytest.MonkeyPatch, fake: FakeGitHub, **extra: str) -> None:
    values = {
        "GITHUB_REPOSITORY": "acme/gitops",
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": fake.token,
        # GitHub's one-second write spacing is unit-tested with an injected clock; here it would only add time.
        "GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL": "0",
        **extra,
    }
    for key, value in values.items():
        monkeypatch.setenv(key, value)


@pytest.fixture
def github(
    example_repo: tuple[Path, Path],
    github_fake_factory: FakeFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[GitHubDriver]:
    remote, work = example_repo
    fake = github_fake_factory(remote)
    fake.protect("main", GATE)
    _environ(monkeypatch, fake)
    yield GitHubDriver(fake, work, remote, capsys)


def _shape(github: GitHubDriver, name: str) -> Layout:
    """Reshape the repository into layout ``name``; each environment branch requires the gate, like main."""
    layout = LAYOUTS[name]
    layout.apply(github.git)
    for branch in layout.branches.values():
        github.fake.protect(branch, GATE)
    return layout


@pytest.mark.parametrize(("layout", "name"), cases())
def test_scenario(github: GitHubDriver, layout: str, name: str) -> None:
    play(github, SCENARIOS[name], _shape(github, layout))


@pytest.mark.parametrize("layout", ["directory", "branches"])
@pytest.mark.parametrize("method", ["squash", "rebase"])
def test_merge_methods_still_find_the_promotion(github: GitHubDriver, method: str, layout: str) -> None:
    """promote finds the PR behind a squash or rebase commit (merge_commit_sha is the new commit on the base)."""
    shape = _shape(github, layout)
    play(
        github,
        [
            EditConfig("prflow: per-app", f"prflow: per-app\nmerge_method: {method}"),
            new("7.0.0", "created branch {head:dev} with pull request 1"),
            Gate(1),
            ExpectPR(1, "merged"),
            Sync("dev"),
            Flux("dev", "success", on="HEAD"),
            promote("to environment qa"),
            status("successful reconciliation for apps-dev", into="qa"),
        ],
        shape,
    )
    head = github.git("rev-parse", f"origin/{shape.branch('dev')}")
    assert github.pr(1).merge_commit == head
    assert len(github.git("show", "-s", "--format=%P", head).split()) == 1  # no merge commit
    assert github.fake.pr(1).auto_merge is None and github.fake.pr(2).auto_merge == {
        "merge_method": method,
        "enabled_by": "gitops-bot",
    }


# -- what each command costs -------------------------------------------------------------------------------
@pytest.mark.parametrize("layout", ["directory", "branches"])
def test_requests_of_a_full_promotion(github: GitHubDriver, layout: str) -> None:
    """The exact API calls: targeted look-ups only, never a listing of all pull requests; environments on
    branches cost no extra call."""
    fake, calls, shape = github.fake, {}, _shape(github, layout)

    def run(label: str, *args: str) -> None:
        fake.clear_requests()
        code, out = github.cli(*args)
        assert code == 0, out
        calls[label] = fake.request_lines()

    run("new", "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    github.gate(1)
    play(github, [Sync("dev")], shape)
    merge_dev = github.pr(1).merge_commit
    assert merge_dev
    github.flux(merge_dev, "apps-dev", "success", "c1")
    run("promote-qa", "promote")
    head_qa = shape.head("qa", per_env=False)
    run("status-qa", "status", "--branch", head_qa)
    enable = "POST /graphql {enablePullRequestAutoMerge}"
    lookup = f"GET {REPO}/pulls?base={shape.branch('qa')}&head=acme%3A{head_qa.replace('/', '%2F')}&state=open"
    assert calls == {
        "new": [f"POST {REPO}/pulls", enable],
        "promote-qa": [f"GET {REPO}/commits/{merge_dev}/pulls", f"POST {REPO}/pulls", enable],
        # The gate's verdict is posted as the commit status gitops-promotion/gate on the PR's head (issue 13).
        "status-qa": [
            lookup,
            f"GET {REPO}/commits/{merge_dev}/statuses?per_page=100",
            f"POST {REPO}/statuses/{fake.head_sha(2)}",
        ],
    }


def test_reruns_and_polls_stay_cheap(github: GitHubDriver) -> None:
    assert github.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    github.fake.clear_requests()
    code, out = github.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    lines = github.fake.request_lines()
    # A rerun looks the PR up, rewrites its body, and leaves auto-merge alone (already on).
    assert [line.split("?")[0] for line in lines] == [f"GET {REPO}/pulls", f"PATCH {REPO}/pulls/1"]
    assert not any(line.startswith(f"GET {REPO}/pulls") and "head=" not in line for line in lines)


# -- concurrency -----------------------------------------------------------------------------------------
def _subprocess_new(work: Path, fake: FakeGitHub, app: str, tag: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "GITHUB_REPOSITORY": "acme/gitops",
        "GITHUB_API_URL": fake.api_url,
        "GITHUB_TOKEN": fake.token,
        "GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL": "0",
    }
    argv = [
        sys.executable,
        "-m",
        "gitops_promotion",
        "new",
        "--group",
        "apps",
        "--app",
        app,
        "--tag",
        tag,
        "--sourcedir",
        str(work),
        "--provider",
        "github",
    ]
    return subprocess.run(argv, capture_output=True, text=True, env=env, check=False, timeout=120)


def _clones(github: GitHubDriver, count: int) -> list[Path]:
    paths = []
    for index in range(count):
        path = github.work.parent / f"ci-job-{index}"
        git(github.work.parent, "clone", "--quiet", str(github.remote), str(path))
        paths.append(path)
    return paths


def test_concurrent_new_for_different_apps(github: GitHubDriver) -> None:
    first, second = _clones(github, 2)
    with ThreadPoolExecutor(2) as pool:
        jobs = [
            pool.submit(_subprocess_new, first, github.fake, "podinfo", "7.0.0"),
            pool.submit(_subprocess_new, second, github.fake, "sidecar", "2.0"),
        ]
        results = [job.result() for job in jobs]
    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
    heads = sorted(pr.head for pr in github.fake.prs if pr.state == "open")
    assert heads == ["promote/apps-podinfo", "promote/apps-sidecar"]


def test_concurrent_new_for_the_same_app(github: GitHubDriver) -> None:
    clones = _clones(github, 2)
    with ThreadPoolExecutor(2) as pool:
        jobs = [
            pool.submit(_subprocess_new, clone, github.fake, "podinfo", tag)
            for clone, tag in zip(clones, ("7.0.0", "7.0.1"), strict=True)
        ]
        results = [job.result() for job in jobs]
    for result in results:
        assert result.returncode == 0, result.stdout + result.stderr
    open_prs = [pr for pr in github.fake.prs if pr.state == "open"]
    assert len(open_prs) == 1
    # Whoever came last wins, consistently: the PR describes what its branch deploys.
    deployed = git(github.remote, "show", f"{BRANCH}:apps/dev/podinfo.yaml")
    tag = open_prs[0].title.split(" version ")[1].split(" ")[0]
    assert f"podinfo:{tag} " in deployed
    assert git(github.remote, "rev-list", "--count", f"main..{BRANCH}") == "1"


# -- GitHub Enterprise Server and GitHub App ---------------------------------------------------------------
def test_ghes_api_url_and_derived_graphql(
    example_repo: tuple[Path, Path],
    github_fake_factory: FakeFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    remote, work = example_repo
    fake = github_fake_factory(remote, ghes=True)
    fake.protect("main", GATE)
    _environ(monkeypatch, fake)
    driver = GitHubDriver(fake, work, remote, capsys)
    play(driver, SCENARIOS["dev-qa-prod"][:6])
    assert fake.api_url.endswith("/api/v3")
    assert any(r.path == "/graphql" for r in fake.requests)  # reached at /api/graphql, derived from /api/v3


def test_github_app_credentials(
    example_repo: tuple[Path, Path],
    github_fake_factory: FakeFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    key_file = tmp_path / "app.pem"
    key_file.write_text(pem, encoding="utf-8")
    remote, work = example_repo
    fake = github_fake_factory(remote, app=AppIdentity(98765, public))
    fake.protect("main", GATE)
    _environ(monkeypatch, fake)
    monkeypatch.delenv("GITHUB_TOKEN")
    monkeypatch.setenv("GITOPS_PROMOTION_GITHUB_APP_PRIVATE_KEY", str(key_file))
    driver = GitHubDriver(fake, work, remote, capsys)
    code, out = driver.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0", "--github-app-id", "98765")
    assert code == 0, out
    assert fake.pr(1).user == "gitops-app[bot]"
    assert fake.request_lines()[:2] == [f"GET {REPO}/installation", "POST /app/installations/4242/access_tokens"]
    assert "BEGIN RSA" not in out


# -- faults ------------------------------------------------------------------------------------------------
def test_5xx_and_rate_limits_are_retried(github: GitHubDriver) -> None:
    github.fake.fail_next(1, status=502, match="POST /repos")
    github.fake.rate_limit_next("secondary", wait=1, match="POST /graphql")
    code, out = github.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    assert [r.status for r in github.fake.requests] == [502, 201, 403, 200]
    assert github.pr(1).auto_merge


def test_rejected_push_is_retried(github: GitHubDriver) -> None:
    github.fake.reject_next_push(1)
    code, out = github.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    assert github.fake.state.git.pushes_left_to_reject() == 0  # the first push was refused, the retry landed
    assert git(github.remote, "rev-list", "--count", f"main..{BRANCH}") == "1"
    assert [pr.head for pr in github.fake.prs] == [BRANCH]


def test_api_failure_is_an_error_never_a_skip(github: GitHubDriver) -> None:
    assert github.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    github.gate(1)
    github.git("fetch", "--quiet", "origin")
    github.git("checkout", "--quiet", "-B", "main", "origin/main")
    github.fake.tokens[github.fake.token] = "gitops-bot"
    github.fake.fail_next(1, status=404, match="/pulls")
    code, out = github.cli("promote")
    assert code == 1, out
    assert "nothing to do" not in out.lower() and "skip" not in out.lower()
    assert "GitHub refused to find the pull request of commit" in out
    assert len([line for line in out.splitlines() if line.strip()]) == 1


def test_bad_token_fails_in_one_line_without_the_token(github: GitHubDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_this_is_not_valid_1234567890")
    code, out = github.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0", "-v")
    assert code == 1, out
    assert "401 Bad credentials" in out
    assert "ghp_this_is_not_valid_1234567890" not in out


def test_status_in_a_detached_pull_request_checkout(github: GitHubDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    assert github.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    github.git("fetch", "--quiet", "origin")
    github.git("checkout", "--quiet", "--detach", f"origin/{BRANCH}")
    monkeypatch.setenv("GITHUB_HEAD_REF", BRANCH)
    code, out = github.cli("status")
    assert code == 0, out
    assert "first environment" in out


def test_promote_skips_a_merged_pr_not_made_by_the_tool(github: GitHubDriver) -> None:
    github.git("checkout", "--quiet", "-b", "docs")
    (github.work / "README.md").write_text("docs\n", encoding="utf-8")
    github.git("add", "README.md")
    github.git("commit", "--quiet", "-m", "docs")
    github.git("push", "--quiet", "origin", "docs")
    import requests

    requests.post(
        f"{github.fake.api_url}{REPO}/pulls",
        timeout=5,
        headers={"Authorization": f"token {github.fake.token}"},
        json={"title": "Docs", "head": "docs", "base": "main", "body": "by a human"},
    )
    github.gate(1)
    github.merge(1)
    github.git("fetch", "--quiet", "origin")
    github.git("checkout", "--quiet", "-B", "main", "origin/main")
    code, out = github.cli("promote")
    assert code == 0, out
    assert "pull request 1 was not opened by gitops-promotion; nothing to promote" in out
    assert github.open_pr_count() == 0


def _outputs(path: Path) -> dict[str, str]:
    """Parse $GITHUB_OUTPUT's `name<<DELIMITER` blocks."""
    values, lines = {}, iter(path.read_text(encoding="utf-8").splitlines())
    for line in lines:
        name, _, delimiter = line.partition("<<")
        values[name] = "\n".join(iter(lambda: next(lines), delimiter))
    return values


def test_under_github_actions(github: GitHubDriver, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Actions' own variables drive the run: push event for promote, PR event payload for status; outputs
    and the job summary are written, and the token is masked."""
    summary, outputs, event = tmp_path / "summary.md", tmp_path / "outputs", tmp_path / "event.json"
    for name, value in {
        "GITHUB_ACTIONS": "true",
        "GITHUB_STEP_SUMMARY": str(summary),
        "GITHUB_OUTPUT": str(outputs),
        "GITHUB_WORKSPACE": str(github.work),
    }.items():
        monkeypatch.setenv(name, value)
    code, out = github.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    assert f"::add-mask::{github.fake.token}" in out
    assert _outputs(outputs)["pr-number"] == "1"
    github.gate(1)
    github.git("fetch", "--quiet", "origin")
    github.git("checkout", "--quiet", "-B", "main", "origin/main")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "push")
    monkeypatch.setenv("GITHUB_REF", "refs/heads/main")
    assert github.cli("promote")[0] == 0
    merge_dev = github.pr(1).merge_commit
    assert merge_dev
    github.flux(merge_dev, "apps-dev", "success", "east")
    github.git("checkout", "--quiet", "--detach", f"origin/{BRANCH}")
    event.write_text(json.dumps({"pull_request": {"number": 2, "head": {"ref": BRANCH}}}), encoding="utf-8")
    monkeypatch.setenv("GITHUB_EVENT_NAME", "pull_request")
    monkeypatch.setenv("GITHUB_EVENT_PATH", str(event))
    code, out = github.cli("status")
    assert code == 0, out
    assert "successful reconciliation for apps-dev" in out
    text = summary.read_text(encoding="utf-8")
    assert f"kustomization/apps-dev/{cluster_suffix('east')}" in text
    assert github.fake.token not in text


def test_status_on_a_pr_without_state_is_clear(github: GitHubDriver) -> None:
    github.git("checkout", "--quiet", "-b", BRANCH)
    (github.work / "apps/dev/note.txt").write_text("by hand\n", encoding="utf-8")
    github.git("add", "-A")
    github.git("commit", "--quiet", "-m", "by hand")
    github.git("push", "--quiet", "origin", BRANCH)
    import requests

    requests.post(
        f"{github.fake.api_url}{REPO}/pulls",
        timeout=5,
        headers={"Authorization": f"token {github.fake.token}"},
        json={"title": "by hand", "head": BRANCH, "base": "main", "body": "hello"},
    )
    code, out = github.cli("status", "--branch", BRANCH)
    assert code == 1, out
    assert "carries no promotion metadata" in out and "Traceback" not in out
