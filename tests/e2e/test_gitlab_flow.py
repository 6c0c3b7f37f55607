"""The whole GitLab flow through the real CLI against the validating fake GitLab (tests/forge/gitlab_fake.py).

The checkout's origin is the fake's bare repository on disk; the CLI learns the project from CI_PROJECT_PATH (as
in GitLab CI, here with nested groups), the token from GITLAB_TOKEN, and reaches the fake through --api-url.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import git
from tests.e2e.layouts import LAYOUTS
from tests.e2e.parallel_jobs import clones, run_new_in_parallel
from tests.e2e.scenarios import BRANCH, SCENARIOS, cases, play
from tests.e2e.steps import PRView, Sync, cluster_suffix, run_cli
from tests.forge.gitlab_fake import TOKEN, FakeGitLab
from tests.forge.gitlab_state import ProjectSettings

pytestmark = pytest.mark.e2e
GATE = "gitops-promotion/gate"
PROJECT = "acme/platform/gitops"
_FLUX_STATE = {"success": "success", "failure": "failed"}  # what Flux's GitLab notifier posts
_PR_STATE = {"opened": "open", "merged": "merged", "closed": "closed"}


@dataclass
class GitLabDriver:
    """Plays scenario steps on the fake GitLab."""

    fake: FakeGitLab
    work: Path
    capsys: pytest.CaptureFixture[str]
    ci: dict[str, str] = field(default_factory=dict)  # the CI variables of the job the CLI runs in

    def cli(self, *args: str) -> tuple[int, str]:
        argv = [*args, "--sourcedir", str(self.work), "--provider", "gitlab", "--api-url", self.fake.api_url]
        return run_cli(self.capsys, self.ci, argv)

    def gate(self, pr: int) -> None:
        """The MR pipeline's gate job passed (its `status` run posted the gate status); auto-merge may act."""
        with self.fake.lock:
            mr = self.fake.mr(pr)
            sha = self.fake.state.head_sha(mr)
            latest = {s.name: s.status for s in self.fake.state.latest_statuses(sha)}
        if latest.get(GATE) != "success":
            self.fake.post_status(sha, GATE, "success", author="ci")
        self.fake.tick()

    def merge(self, pr: int) -> None:
        self.fake.merge(pr)

    def pr(self, number: int) -> PRView:
        mr = self.fake.mr(number)
        landed = mr.merge_commit_sha or mr.squash_commit_sha or (mr.sha if mr.state == "merged" else None)
        state = _PR_STATE[mr.state]
        return PRView(number, state, mr.auto_merge, mr.source_branch, landed, mr.target_branch)

    def open_pr(self, head: str, base: str) -> int:
        with self.fake.lock:
            body = {"source_branch": head, "target_branch": base, "title": "Docs", "description": "by a human"}
            return self.fake.state.create(body, "human").iid

    def pushed(self, branch: str) -> None:
        self.ci = {"CI_COMMIT_BRANCH": branch, "CI_PIPELINE_SOURCE": "push"}

    def open_pr_count(self) -> int:
        return sum(1 for mr in self.fake.state.mrs.values() if mr.state == "opened")

    def flux(self, sha: str, name: str, state: str, cluster: str | None) -> None:
        suffix = f"/{cluster_suffix(cluster)}" if cluster else ""
        self.fake.post_status(sha, f"kustomization/{name}{suffix}", _FLUX_STATE[state], state)

    def git(self, *args: str) -> str:
        return git(self.work, *args)


def _start(remote: Path, monkeypatch: pytest.MonkeyPatch, settings: ProjectSettings | None = None) -> FakeGitLab:
    fake = FakeGitLab(remote, project=PROJECT, settings=settings).start()
    monkeypatch.setenv("CI_PROJECT_PATH", PROJECT)
    monkeypatch.setenv("GITLAB_TOKEN", TOKEN)
    for name in ("GITLAB_CI", "CI_JOB_TOKEN", "GITHUB_ACTIONS", "TF_BUILD"):
        monkeypatch.delenv(name, raising=False)
    return fake


@pytest.fixture
def gitlab(
    example_repo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[GitLabDriver]:
    remote, work = example_repo
    fake = _start(remote, monkeypatch)
    try:
        yield GitLabDriver(fake, work, capsys)
    finally:
        fake.stop()
    assert not fake.violations, "requests the real GitLab would reject:\n" + "\n".join(fake.violations)


@pytest.mark.parametrize(("layout", "name"), cases())
def test_scenario(gitlab: GitLabDriver, layout: str, name: str) -> None:
    shape = LAYOUTS[layout]
    shape.apply(gitlab.git)
    play(gitlab, SCENARIOS[name], shape)


def _first_hop(gitlab: GitLabDriver) -> str:
    """Open the dev MR, let its gate pass and auto-merge, sync, open qa; the dev merge commit."""
    code, out = gitlab.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    gitlab.gate(1)
    merge_dev = gitlab.pr(1).merge_commit
    assert merge_dev
    play(gitlab, [Sync("dev")], LAYOUTS["directory"])
    code, out = gitlab.cli("promote")
    assert code == 0, out
    return merge_dev


# -- GitLab-specific ----------------------------------------------------------------------------------------
def test_requests_of_a_full_promotion(gitlab: GitLabDriver) -> None:
    """Targeted look-ups only (source+target filter, commits/:sha/merge_requests), never a listing; the
    auto-merge field is chosen once from /version."""
    calls: dict[str, list[str]] = {}

    def run(label: str, *args: str) -> None:
        gitlab.fake.requests.clear()
        code, out = gitlab.cli(*args)
        assert code == 0, out
        calls[label] = gitlab.fake.request_lines()

    run("new", "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    gitlab.gate(1)
    merge_dev = str(gitlab.pr(1).merge_commit)
    play(gitlab, [Sync("dev")], LAYOUTS["directory"])
    gitlab.flux(merge_dev, "apps-dev", "success", "east")
    run("promote", "promote")
    run("status", "status", "--branch", BRANCH)
    project = "/projects/acme%2Fplatform%2Fgitops"
    look_up = f"GET {project}/merge_requests?per_page=100&source_branch=promote%2Fapps-podinfo&state=opened"
    assert calls == {
        # The tool creates first and looks up only when GitLab answers 409 (an MR already open).
        "new": [
            f"POST {project}/merge_requests",
            "GET /version",
            f"PUT {project}/merge_requests/1/merge",
        ],
        "promote": [
            f"GET {project}/repository/commits/{merge_dev}/merge_requests?per_page=100&state=merged",
            f"POST {project}/merge_requests",
            "GET /version",
            f"PUT {project}/merge_requests/2/merge",
        ],
        "status": [
            f"{look_up}&target_branch=main",
            f"GET {project}/repository/commits/{merge_dev}/statuses?per_page=100&sort=desc",
            f"POST {project}/statuses/{gitlab.fake.state.head_sha(gitlab.fake.mr(2))}",
        ],
    }
    assert gitlab.pr(2).state == "merged"  # the gate status made the head pipeline green: auto-merge fired


def test_gate_is_an_external_commit_status_on_the_mr_head(gitlab: GitLabDriver) -> None:
    merge_dev = _first_hop(gitlab)
    head = gitlab.fake.state.head_sha(gitlab.fake.mr(2))
    assert gitlab.cli("status", "--branch", BRANCH, "--timeout", "0s")[0] == 1
    gitlab.flux(merge_dev, "apps-dev", "failure", "east")
    assert gitlab.cli("status", "--branch", BRANCH)[0] == 1
    code, out = gitlab.cli("status", "--branch", BRANCH)  # failed again: GitLab refuses the same state, no error
    assert code == 1 and "reconciliation failed for apps-dev" in out, out
    assert gitlab.pr(2).state == "open" and gitlab.pr(2).auto_merge
    gitlab.flux(merge_dev, "apps-dev", "success", "east")
    code, out = gitlab.cli("status", "--branch", BRANCH)
    assert code == 0, out
    posted = [(s.name, s.status, s.ref) for s in gitlab.fake.state.statuses if s.sha == head]
    # Timed out = still waiting (running keeps the pipeline open); failed; then green.
    assert posted == [(GATE, "running", BRANCH), (GATE, "failed", BRANCH), (GATE, "success", BRANCH)]
    assert gitlab.pr(2).state == "merged"
    gitlab.git("fetch", "--quiet", "origin")
    assert "podinfo:7.0.0 " in gitlab.git("show", "origin/main:apps/qa/podinfo.yaml")


def test_canceled_flux_status_keeps_the_gate_closed(gitlab: GitLabDriver) -> None:
    merge_dev = _first_hop(gitlab)
    gitlab.fake.post_status(merge_dev, f"kustomization/apps-dev/{cluster_suffix('east')}", "canceled")
    code, out = gitlab.cli("status", "--branch", BRANCH)
    assert code == 1, out
    assert "reconciliation failed for apps-dev" in out


def test_older_gitlab_gets_merge_when_pipeline_succeeds(
    example_repo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remote, work = example_repo
    fake = _start(remote, monkeypatch, ProjectSettings(version="16.11.3-ee"))
    try:
        driver = GitLabDriver(fake, work, capsys)
        code, out = driver.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
        assert code == 0, out
        assert driver.pr(1).auto_merge
    finally:
        fake.stop()
    assert not fake.violations, fake.violations  # the fake flags auto_merge sent to a GitLab before 17.11


def test_settings_that_prevent_auto_merge_are_named(
    example_repo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remote, work = example_repo
    fake = _start(remote, monkeypatch, ProjectSettings(merge_blocked=True))
    try:
        code, out = GitLabDriver(fake, work, capsys).cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    finally:
        fake.stop()
    assert code == 1, out
    assert "405" in out and "Settings > Merge requests" in out and "pipeline" in out
    assert TOKEN not in out


def test_squash_and_source_branch_removal(gitlab: GitLabDriver) -> None:
    """merge_method squash -> squash: true; delete_branch -> should_remove_source_branch; promote then finds
    the MR from its squash commit."""
    config = gitlab.work / "gitops-promotion.yaml"
    config.write_text(config.read_text(encoding="utf-8") + "merge_method: squash\n", encoding="utf-8")
    gitlab.git("commit", "-qam", "squash merges")
    gitlab.git("push", "-q", "origin", "main")
    merge_dev = _first_hop(gitlab)
    mr = gitlab.fake.mr(1)
    assert mr.squash and mr.squash_commit_sha == merge_dev and mr.merge_commit_sha is None
    assert mr.remove_source_branch and gitlab.fake.git.sha(BRANCH) is not None  # recreated by the qa promotion
    assert gitlab.pr(2).state == "open" and gitlab.pr(2).base == "main"


def test_job_token_is_refused_with_the_reason(gitlab: GitLabDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITLAB_TOKEN")
    monkeypatch.setenv("CI_JOB_TOKEN", "job-token-0123456789abcdef")
    code, out = gitlab.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 2, out
    assert "CI_JOB_TOKEN cannot push to the repository or open merge requests" in out
    assert "job-token-0123456789abcdef" not in out
    assert gitlab.fake.requests == [] and gitlab.open_pr_count() == 0


def test_bad_token_fails_in_one_line_without_the_token(gitlab: GitLabDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITLAB_TOKEN", "glpat-not-the-right-one-123456")
    code, out = gitlab.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 1, out
    assert "401" in out and "glpat-not-the-right-one-123456" not in out


def test_transient_errors_and_rate_limits_are_retried(gitlab: GitLabDriver) -> None:
    gitlab.fake.fail_next(1, 502, match="GET /api/v4/projects")
    gitlab.fake.rate_limit_next(0, match="POST /api/v4/projects")
    gitlab.fake.fail_next(1, 503, match="PUT /api/v4/projects")
    code, out = gitlab.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    assert [r.status for r in gitlab.fake.calls("POST")] == [429, 201]
    assert [r.status for r in gitlab.fake.calls("PUT")] == [503, 200]
    assert gitlab.open_pr_count() == 1 and gitlab.pr(1).auto_merge


def test_api_failure_is_an_error_never_a_skip(gitlab: GitLabDriver) -> None:
    assert gitlab.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    gitlab.gate(1)
    play(gitlab, [Sync("dev")], LAYOUTS["directory"])
    gitlab.fake.fail_next(1, 403, match="/merge_requests")
    code, out = gitlab.cli("promote")
    assert code == 1, out
    assert "nothing to" not in out.lower() and "skip" not in out.lower()
    assert "GitLab: could not find the merge request of commit" in out
    assert gitlab.open_pr_count() == 0


def test_rerun_after_a_lost_create_answer_takes_the_mr_over(gitlab: GitLabDriver) -> None:
    """The MR was created but the answer was lost: the rerun finds it by source+target, no duplicate."""
    gitlab.fake.fail_next(1, 500, match="PUT")
    assert gitlab.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    gitlab.fake.requests.clear()
    code, out = gitlab.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    assert gitlab.open_pr_count() == 1


def test_doctor_reads_project_settings(gitlab: GitLabDriver) -> None:
    gitlab.fake.state.settings.only_allow_merge_if_pipeline_succeeds = False
    code, out = gitlab.cli("doctor")
    assert "pipelines must succeed before merging" in out, out
    assert code == 1, out
    gitlab.fake.state.settings.only_allow_merge_if_pipeline_succeeds = True
    code, out = gitlab.cli("doctor")
    assert code == 0, out


def test_concurrent_new_for_the_same_app_and_for_different_apps(gitlab: GitLabDriver) -> None:
    remote = Path(gitlab.fake.git.path)
    first, second, third = clones(remote, gitlab.work.parent, 3)
    flags = ["--provider", "gitlab", "--api-url", gitlab.fake.api_url]
    env = {"CI_PROJECT_PATH": PROJECT, "GITLAB_TOKEN": TOKEN}
    jobs = [(first, "podinfo", "7.0.0"), (second, "podinfo", "7.0.1"), (third, "sidecar", "2.0")]
    for result in run_new_in_parallel(jobs, flags, env):
        assert result.returncode == 0, result.stdout + result.stderr
    opened = [mr for mr in gitlab.fake.state.mrs.values() if mr.state == "opened"]
    assert sorted(mr.source_branch for mr in opened) == [BRANCH, "promote/apps-sidecar"]
    mr = next(m for m in opened if m.source_branch == BRANCH)
    tag = mr.title.split(" version ")[1].split(" ")[0]
    assert f"podinfo:{tag} " in git(remote, "show", f"{BRANCH}:apps/dev/podinfo.yaml")  # MR says what it deploys
    assert git(remote, "rev-list", "--count", f"main..{BRANCH}") == "1"


def test_rejected_push_is_retried(gitlab: GitLabDriver) -> None:
    gitlab.fake.reject_next_push(1)
    code, out = gitlab.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    assert gitlab.fake.git.pushes_left_to_reject() == 0
    assert [mr.source_branch for mr in gitlab.fake.state.mrs.values()] == [BRANCH]


def test_under_gitlab_ci(gitlab: GitLabDriver, tmp_path: Path) -> None:
    """In a GitLab CI job: the provider is detected from GITLAB_CI, the pushed branch from CI_COMMIT_BRANCH, the
    MR branch from CI_MERGE_REQUEST_SOURCE_BRANCH_NAME; outputs land in the dotenv report."""
    dotenv = tmp_path / "outputs.env"
    ci = {"GITLAB_CI": "true", "CI_PROJECT_DIR": str(gitlab.work), "GITOPS_PROMOTION_DOTENV": str(dotenv)}
    gitlab.ci = ci
    argv = ["new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0", "--api-url", gitlab.fake.api_url]
    code, out = run_cli(gitlab.capsys, ci, [*argv, "--sourcedir", str(gitlab.work)])
    assert code == 0, out
    assert "GITOPS_PROMOTION_PR_NUMBER=1\n" in dotenv.read_text(encoding="utf-8")
    merge_dev = _first_hop_after_new(gitlab)
    gitlab.flux(merge_dev, "apps-dev", "success", "east")
    mr_job = {**ci, "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME": BRANCH}
    code, out = run_cli(
        gitlab.capsys, mr_job, ["status", "--sourcedir", str(gitlab.work), "--api-url", gitlab.fake.api_url]
    )
    assert code == 0, out
    assert "successful reconciliation for apps-dev" in out
    assert "GITOPS_PROMOTION_RESULT=" in dotenv.read_text(encoding="utf-8")


def _first_hop_after_new(gitlab: GitLabDriver) -> str:
    gitlab.gate(1)
    merge_dev = str(gitlab.pr(1).merge_commit)
    gitlab.git("fetch", "--quiet", "origin")
    gitlab.git("checkout", "--quiet", "--detach", "origin/main")
    job = {**gitlab.ci, "CI_COMMIT_BRANCH": "main", "CI_PIPELINE_SOURCE": "push"}
    code, out = run_cli(
        gitlab.capsys, job, ["promote", "--sourcedir", str(gitlab.work), "--api-url", gitlab.fake.api_url]
    )
    assert code == 0 and "to environment qa" in out, out
    return merge_dev


def test_https_remote_names_project_and_server_and_git_uses_a_header(
    example_repo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A clone from the project's https URL: the tool reads project (nested groups) and server from the remote
    alone (no CI_PROJECT_PATH, no --api-url), and pushes with the token in an Authorization header only."""
    remote, _ = example_repo
    fake = _start(remote, monkeypatch)
    monkeypatch.delenv("CI_PROJECT_PATH")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")
    try:
        work = tmp_path / "checkout"
        header = f"Authorization: Basic {base64.b64encode(f'oauth2:{TOKEN}'.encode()).decode()}"
        git(tmp_path, "-c", f"http.extraheader={header}", "clone", "-q", fake.git_url, str(work))
        argv = ["new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0", "--provider", "gitlab"]
        code, out = run_cli(capsys, {}, [*argv, "--sourcedir", str(work)])
        assert code == 0, out
        assert f"created branch {BRANCH} with pull request 1" in out
        assert git(remote, "rev-parse", BRANCH) == fake.state.head_sha(fake.mr(1))
        pushes = [r for r in fake.git_requests if "receive-pack" in r[1]]
        assert pushes and all(auth == "Basic" for _, _, auth in pushes)
        assert TOKEN not in (work / ".git/config").read_text() + out
    finally:
        fake.stop()
    assert not fake.violations, fake.violations


def test_fast_forward_project_finds_the_mr_by_its_head(
    example_repo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """A project with the fast-forward merge method leaves no merge commit: the MR's head is what landed."""
    remote, work = example_repo
    fake = _start(remote, monkeypatch, ProjectSettings(merge_method="ff"))
    try:
        driver = GitLabDriver(fake, work, capsys)
        merge_dev = _first_hop(driver)
        assert fake.mr(1).merge_commit_sha is None and merge_dev == fake.mr(1).sha
        assert driver.pr(2).state == "open" and "to environment qa" in fake.mr(2).title
    finally:
        fake.stop()
    assert not fake.violations, fake.violations


def test_show_lists_the_open_promotion_mr(gitlab: GitLabDriver) -> None:
    assert gitlab.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    gitlab.fake.requests.clear()
    code, out = gitlab.cli("show", "--output", "json")
    assert code == 0, out
    assert "7.0.0" in out
    listing = [r for r in gitlab.fake.request_lines() if r.startswith("GET") and "merge_requests" in r]
    assert listing and all("state=opened" in r for r in listing)
