"""The whole Azure DevOps flow through the real CLI against the validating fake Azure DevOps (tests/forge).

The checkout's origin is the fake's bare repository on disk; the CLI learns the Azure DevOps repository from
BUILD_REPOSITORY_URI (as in Azure Pipelines) and reaches the fake through --api-url.
"""

from __future__ import annotations

import base64
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from tests.conftest import git
from tests.e2e.layouts import LAYOUTS
from tests.e2e.scenarios import BRANCH, SCENARIOS, cases, play
from tests.e2e.steps import PRView, Sync, cluster_suffix, run_cli
from tests.forge.azure_fake import AzureFake
from tests.forge.azure_fixtures import AZURE_REMOTE, AZURE_TOKEN

pytestmark = pytest.mark.e2e
GATE = ("gitops-promotion", "gate")  # the PR status `status` posts; a branch policy requires it
_FLUX_STATE = {"success": "succeeded", "failure": "error"}  # what Flux's Azure DevOps notifier posts
_PR_STATE = {"active": "open", "completed": "merged", "abandoned": "closed"}
PRS = r"/_apis/git/repositories/repo/pullRequests"


@dataclass
class AzureDriver:
    """Plays scenario steps on the fake Azure DevOps."""

    fake: AzureFake
    work: Path
    remote: Path
    capsys: pytest.CaptureFixture[str]
    ci: dict[str, str] = field(default_factory=dict)  # the CI variables of the job the CLI runs in

    def cli(self, *args: str) -> tuple[int, str]:
        argv = [*args, "--sourcedir", str(self.work), "--provider", "azdo", "--api-url", self.fake.base_url]
        return run_cli(self.capsys, self.ci, argv)

    def gate(self, pr: int) -> None:
        """The PR's build validation passes (its `status` run posted the gate status); auto-complete may act."""
        self.fake.post_pr_status(pr, *GATE, "succeeded")
        self.fake.auto_complete()

    def merge(self, pr: int) -> None:
        self.fake.complete(pr)

    def pr(self, number: int) -> PRView:
        pr = self.fake.prs[number]
        head = pr.source.removeprefix("refs/heads/")
        base = pr.target.removeprefix("refs/heads/")
        return PRView(number, _PR_STATE[pr.status], pr.auto_complete_set_by is not None, head, pr.merge_commit, base)

    def open_pr(self, head: str, base: str) -> int:
        with self.fake.lock:
            body = {"sourceRefName": f"refs/heads/{head}", "targetRefName": f"refs/heads/{base}", "title": "Docs"}
            return self.fake.state.create({**body, "description": "by a human"}).id

    def pushed(self, branch: str) -> None:
        self.ci = {"BUILD_SOURCEBRANCH": f"refs/heads/{branch}"}

    def open_pr_count(self) -> int:
        return sum(1 for pr in self.fake.prs.values() if pr.status == "active")

    def flux(self, sha: str, name: str, state: str, cluster: str | None) -> None:
        # Flux's Azure DevOps notifier: genre "fluxcd", or "fluxcd:<summary>" when a summary (cluster) is set.
        suffix = f"/{cluster_suffix(cluster)}" if cluster else ""
        genre = f"fluxcd:{cluster}" if cluster else "fluxcd"
        self.fake.post_status(sha, _FLUX_STATE[state], f"kustomization/{name}{suffix}", genre, f"{state}")

    def git(self, *args: str) -> str:
        return git(self.work, *args)


@pytest.fixture
def azure(
    example_repo: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Iterator[AzureDriver]:
    remote, work = example_repo
    with AzureFake(remote, token=AZURE_TOKEN) as fake:
        fake.require_status(*GATE)
        monkeypatch.setenv("BUILD_REPOSITORY_URI", AZURE_REMOTE)
        monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", AZURE_TOKEN)
        monkeypatch.setenv("AZURE_DEVOPS_CACHE_DIR", str(tmp_path / "azure-cache"))
        yield AzureDriver(fake, work, remote, capsys)
    assert not fake.violations, "requests the real Azure DevOps would reject:\n" + "\n".join(fake.violations)


@pytest.mark.parametrize(("layout", "name"), cases())
def test_scenario(azure: AzureDriver, layout: str, name: str) -> None:
    shape = LAYOUTS[layout]
    shape.apply(azure.git)  # the required gate status is a policy on every branch here
    play(azure, SCENARIOS[name], shape)


def _first_hop(azure: AzureDriver) -> str:
    """Open the dev PR, let it complete, sync, and open qa; the dev merge commit."""
    assert azure.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    azure.gate(1)
    merge_dev = azure.pr(1).merge_commit
    assert merge_dev
    azure.git("fetch", "--quiet", "origin")
    azure.git("checkout", "--quiet", "-B", "main", "origin/main")
    code, out = azure.cli("promote")
    assert code == 0, out
    return merge_dev


# -- Azure-specific ---------------------------------------------------------------------------------------
def test_gate_result_is_posted_on_the_pr(azure: AzureDriver) -> None:
    merge_dev = _first_hop(azure)
    code, out = azure.cli("status", "--branch", BRANCH, "--timeout", "0s")
    assert code == 1 and "timed out" in out
    azure.flux(merge_dev, "apps-dev", "success", "east")
    code, out = azure.cli("status", "--branch", BRANCH)
    assert code == 0 and "successful reconciliation for apps-dev" in out
    posted = [(s["context"], s["state"], s["description"]) for s in azure.fake.prs[2].statuses]
    assert [(c, s) for c, s, _ in posted] == [
        ({"genre": "gitops-promotion", "name": "gate"}, "pending"),  # timed out: still waiting, not failed
        ({"genre": "gitops-promotion", "name": "gate"}, "succeeded"),
    ]
    # The descriptions are the gate's one-liners, as on GitHub's commit status.
    assert posted[0][2] == f"waiting: Flux has not reconciled dev on {merge_dev[:8]}"
    assert posted[1][2] == f"open: dev reconciled on {merge_dev[:8]}"


def test_status_in_a_detached_pull_request_build(azure: AzureDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    """Azure Pipelines checks a PR out detached and names its branch in SYSTEM_PULLREQUEST_SOURCEBRANCH."""
    merge_dev = _first_hop(azure)
    azure.flux(merge_dev, "apps-dev", "success", None)
    azure.git("fetch", "--quiet", "origin")
    azure.git("checkout", "--quiet", "--detach", f"origin/{BRANCH}")
    monkeypatch.setenv("TF_BUILD", "True")
    monkeypatch.setenv("SYSTEM_PULLREQUEST_SOURCEBRANCH", f"refs/heads/{BRANCH}")
    code, out = azure.cli("status")
    assert code == 0, out
    assert "successful reconciliation for apps-dev" in out


def test_job_access_token_is_sent_as_bearer(azure: AzureDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_DEVOPS_EXT_PAT")
    monkeypatch.setenv("SYSTEM_ACCESSTOKEN", AZURE_TOKEN)
    code, out = azure.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    assert azure.pr(1).auto_merge


def test_pr_completed_between_look_up_and_update(azure: AzureDriver) -> None:
    """TF401181: the rerun's PATCH meets a PR that auto-complete just completed; the run carries on."""
    assert azure.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    azure.fake.requests.clear()
    azure.fake.before("PATCH", PRS + r"/1$", lambda: azure.fake.state.complete(1))
    code, out = azure.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.1")
    assert code == 0, out
    assert [r.status for r in azure.fake.calls("PATCH")] == [409]
    assert azure.pr(1).state == "merged"
    azure.git("fetch", "--quiet", "origin")
    assert "podinfo:7.0.1 " in azure.git("show", "origin/main:apps/dev/podinfo.yaml")  # the push landed


def test_writes_are_retried_on_503_and_429(azure: AzureDriver) -> None:
    azure.fake.fault("POST", PRS + "$", 503, retry_after="0")
    azure.fake.fault("POST", PRS + "$", 429, retry_after="0")
    azure.fake.fault("PATCH", PRS + r"/1$", 503, retry_after="0")
    code, out = azure.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    assert [r.status for r in azure.fake.calls("POST")] == [503, 429, 200]
    assert [r.status for r in azure.fake.calls("PATCH")] == [503, 200]
    assert len(azure.fake.prs) == 1 and azure.pr(1).auto_merge


def test_api_failure_is_an_error_never_a_skip(azure: AzureDriver) -> None:
    assert azure.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    azure.gate(1)
    azure.git("fetch", "--quiet", "origin")
    azure.git("checkout", "--quiet", "-B", "main", "origin/main")
    azure.fake.fault("POST", "pullRequestQuery", 403)
    code, out = azure.cli("promote")
    assert code == 1, out
    assert "nothing to do" not in out.lower() and "skip" not in out.lower()
    assert "Azure DevOps: looking up the pull request that made commit" in out
    assert len([line for line in out.splitlines() if line.strip()]) == 1


def test_bad_token_fails_in_one_line_without_the_token(azure: AzureDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", "not-the-right-pat-1234567890")
    code, out = azure.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 1, out
    assert "requires user authentication" in out
    assert "not-the-right-pat-1234567890" not in out


@pytest.mark.parametrize("layout", ["directory", "branches"])
def test_requests_of_a_full_promotion(azure: AzureDriver, layout: str) -> None:
    """The exact API calls per command: targeted look-ups only, never a listing of all pull requests;
    environments on branches cost no extra call."""
    calls: dict[str, list[str]] = {}
    shape = LAYOUTS[layout]
    shape.apply(azure.git)

    def run(label: str, *args: str) -> None:
        azure.fake.requests.clear()
        code, out = azure.cli(*args)
        assert code == 0, out
        calls[label] = [f"{r.method} {r.path.removeprefix('/org')}" for r in azure.fake.requests]

    run("new", "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    azure.gate(1)
    merge_dev = azure.pr(1).merge_commit
    play(azure, [Sync("dev")], shape)
    azure.flux(str(merge_dev), "apps-dev", "success", "east")
    run("promote", "promote")
    run("status", "status", "--branch", shape.head("qa", per_env=False))
    repo = "/proj/_apis/git/repositories/repo"
    assert calls == {
        # The SDK reads resource locations and areas once; they are cached on disk for later runs.
        # Auto-complete is set from the creation's answer (createdBy), without reading the PR again.
        "new": [
            "OPTIONS /_apis",
            "GET /_apis/ResourceAreas",
            f"POST {repo}/pullRequests",
            f"PATCH {repo}/pullRequests/1",
        ],
        # The query cuts descriptions at 400 characters; this body is shorter, so it is not read again
        # (tests/providers covers a longer one).
        "promote": [f"POST {repo}/pullRequestQuery", f"POST {repo}/pullRequests", f"PATCH {repo}/pullRequests/2"],
        "status": [
            f"GET {repo}/pullRequests",
            f"GET {repo}/commits/{merge_dev}/statuses",
            f"POST {repo}/pullRequests/2/statuses",
        ],
    }


# -- a real Azure-style remote: git itself talks to the fake ------------------------------------------------
@pytest.mark.parametrize("token_var", ["AZURE_DEVOPS_EXT_PAT", "SYSTEM_ACCESSTOKEN"])
def test_http_remote_authenticates_with_a_header_only(
    example_repo: tuple[Path, Path],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    token_var: str,
) -> None:
    """Clone over HTTP like an Azure Pipelines checkout; the tool pushes with the token in a header, the
    provider is detected from the `/_git/` remote, and the token is never written into a URL or config."""
    remote, _ = example_repo
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    with AzureFake(remote, token=AZURE_TOKEN) as fake:
        fake.require_status(*GATE)
        work = tmp_path / "checkout"
        denied = subprocess.run(["git", "clone", "-q", fake.git_url, str(work)], check=False, capture_output=True)
        assert denied.returncode != 0 and fake.git_requests[-1][2] is None  # no header: 401
        header = f"Authorization: Basic {base64.b64encode(f':{AZURE_TOKEN}'.encode()).decode()}"
        git(tmp_path, "-c", f"http.extraheader={header}", "clone", "-q", fake.git_url, str(work))
        monkeypatch.setenv(token_var, AZURE_TOKEN)
        monkeypatch.setenv("AZURE_DEVOPS_CACHE_DIR", str(tmp_path / "azure-cache"))
        capsys.readouterr()
        argv = ["new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0", "--sourcedir", str(work)]
        code = main([*argv, "--api-url", fake.base_url])
        out, err = capsys.readouterr()
        assert code == 0, out + err
        assert f"created branch {BRANCH} with pull request 1" in out
        assert git(remote, "rev-parse", BRANCH) == fake.prs[1].source_commit
        pushes = [r for r in fake.git_requests if "receive-pack" in r[1]]
        scheme = "Bearer" if token_var == "SYSTEM_ACCESSTOKEN" else "Basic"
        assert pushes and all(auth == scheme for _, _, auth in pushes)
        assert AZURE_TOKEN not in (work / ".git/config").read_text() + out + err
    assert not fake.violations


def test_doctor_reads_branch_policies_and_rights(azure: AzureDriver) -> None:
    from gitops_promotion.providers.azure_doctor import BUILD_POLICY

    azure.fake.deny(8)
    code, out = azure.cli("doctor")
    assert code == 1, out
    assert "a required policy on main runs the gate" in out and "cannot force-push promotion branches" in out
    azure.fake.add_policy("main", BUILD_POLICY, {"buildDefinitionId": 4, "displayName": "gitops-promotion status"})
    azure.fake.state.denied = 0
    code, out = azure.cli("doctor")
    assert code == 0, out
    assert "build validation gitops-promotion status" in out, out


def test_the_tools_own_gate_status_drives_auto_complete(azure: AzureDriver) -> None:
    """With a required status check on gitops-promotion/gate, `status` alone decides when the PR completes."""
    merge_dev = _first_hop(azure)
    azure.flux(merge_dev, "apps-dev", "failure", "east")
    assert azure.cli("status", "--branch", BRANCH)[0] == 1
    assert azure.fake.auto_complete() == []  # failed gate: auto-complete waits
    azure.flux(merge_dev, "apps-dev", "success", "east")
    assert azure.cli("status", "--branch", BRANCH)[0] == 0
    assert azure.fake.auto_complete() == [2]
    azure.git("fetch", "--quiet", "origin")
    assert "podinfo:7.0.0 " in azure.git("show", "origin/main:apps/qa/podinfo.yaml")
