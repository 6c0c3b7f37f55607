"""The whole Gitea/Forgejo flow through the real CLI against the validating fake Gitea (tests/forge/gitea_fake.py).

The checkout's origin is the fake's bare repository on disk; the CLI learns the repository from GITHUB_REPOSITORY
(Gitea Actions sets the GitHub variable names), the token from GITEA_TOKEN, and reaches the fake via --api-url.
Branch protection requires the tool's gate status on every branch.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import git
from tests.e2e.layouts import LAYOUTS
from tests.e2e.parallel_jobs import clones, run_new_in_parallel
from tests.e2e.scenarios import BRANCH, SCENARIOS, cases, play
from tests.e2e.steps import PRView, Sync, cluster_suffix, run_cli
from tests.forge.gitea_fake import TOKEN, FakeGitea, GiteaSettings

pytestmark = pytest.mark.e2e
GATE = "gitops-promotion/gate"


@dataclass
class GiteaDriver:
    """Plays scenario steps on the fake Gitea."""

    fake: FakeGitea
    work: Path
    capsys: pytest.CaptureFixture[str]
    ci: dict[str, str] = field(default_factory=dict)

    def cli(self, *args: str) -> tuple[int, str]:
        argv = [*args, "--sourcedir", str(self.work), "--provider", "gitea", "--api-url", self.fake.origin]
        return run_cli(self.capsys, self.ci, argv)

    def gate(self, pr: int) -> None:
        """The PR's gate check passed; a scheduled auto-merge may run."""
        with self.fake.lock:
            sha = self.fake.head_sha(self.fake.prs[pr])
        self.fake.post_status(sha, GATE, "success")

    def merge(self, pr: int) -> None:
        self.fake.merge(pr)

    def pr(self, number: int) -> PRView:
        pr = self.fake.prs[number]
        state = "merged" if pr.merged else pr.state
        return PRView(number, state, pr.scheduled is not None, pr.head, pr.merge_commit_sha, pr.base)

    def open_pr(self, head: str, base: str) -> int:
        return self.fake.create_pr(head, base, "Docs", "by a human").number

    def pushed(self, branch: str) -> None:
        self.ci = {"GITHUB_EVENT_NAME": "push", "GITHUB_REF": f"refs/heads/{branch}"}

    def open_pr_count(self) -> int:
        return sum(1 for pr in self.fake.prs.values() if pr.state == "open")

    def flux(self, sha: str, name: str, state: str, cluster: str | None) -> None:
        # Flux's gitea notifier posts success/failure with the kind/name[/uid] context.
        suffix = f"/{cluster_suffix(cluster)}" if cluster else ""
        self.fake.post_status(sha, f"kustomization/{name}{suffix}", state, state)

    def git(self, *args: str) -> str:
        return git(self.work, *args)


def _start(remote: Path, monkeypatch: pytest.MonkeyPatch, settings: GiteaSettings | None = None) -> FakeGitea:
    fake = FakeGitea(remote, settings=settings or GiteaSettings(required_contexts={"*": [GATE]})).start()
    monkeypatch.setenv("GITHUB_REPOSITORY", "acme/gitops")
    monkeypatch.setenv("GITEA_TOKEN", TOKEN)
    for name in ("GITHUB_ACTIONS", "GITEA_ACTIONS", "GITLAB_CI", "TF_BUILD", "GITHUB_EVENT_NAME", "GITHUB_REF"):
        monkeypatch.delenv(name, raising=False)
    return fake


@pytest.fixture
def gitea(
    example_repo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[GiteaDriver]:
    remote, work = example_repo
    fake = _start(remote, monkeypatch)
    try:
        yield GiteaDriver(fake, work, capsys)
    finally:
        fake.stop()
    assert not fake.violations, "requests the real Gitea would reject:\n" + "\n".join(fake.violations)


@pytest.mark.parametrize(("layout", "name"), cases())
def test_scenario(gitea: GiteaDriver, layout: str, name: str) -> None:
    shape = LAYOUTS[layout]
    shape.apply(gitea.git)
    play(gitea, SCENARIOS[name], shape)


def _first_hop(gitea: GiteaDriver) -> str:
    code, out = gitea.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    gitea.gate(1)
    merge_dev = gitea.pr(1).merge_commit
    assert merge_dev
    play(gitea, [Sync("dev")], LAYOUTS["directory"])
    code, out = gitea.cli("promote")
    assert code == 0, out
    return merge_dev


# -- Gitea-specific -----------------------------------------------------------------------------------------
def test_requests_of_a_full_promotion(gitea: GiteaDriver) -> None:
    """pulls/{base}/{head} and commits/{sha}/pull: targeted look-ups, never a listing."""
    calls: dict[str, list[str]] = {}

    def run(label: str, *args: str) -> None:
        gitea.fake.requests.clear()
        code, out = gitea.cli(*args)
        assert code == 0, out
        calls[label] = gitea.fake.request_lines()

    run("new", "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    gitea.gate(1)
    merge_dev = str(gitea.pr(1).merge_commit)
    play(gitea, [Sync("dev")], LAYOUTS["directory"])
    gitea.flux(merge_dev, "apps-dev", "success", "east")
    run("promote", "promote")
    run("status", "status", "--branch", BRANCH)
    repo = "/repos/acme/gitops"
    head = gitea.fake.head_sha(gitea.fake.prs[2])
    assert calls == {
        "new": [f"POST {repo}/pulls", f"POST {repo}/pulls/1/merge"],
        "promote": [f"GET {repo}/commits/{merge_dev}/pull", f"POST {repo}/pulls", f"POST {repo}/pulls/2/merge"],
        "status": [
            f"GET {repo}/pulls/main/{BRANCH}",
            f"GET {repo}/commits/{merge_dev}/statuses?limit=50&page=1&sort=highestindex",
            f"POST {repo}/statuses/{head}",
        ],
    }
    assert gitea.pr(2).state == "merged"  # the gate status satisfied branch protection: the scheduled merge ran


def test_gate_status_holds_the_scheduled_merge_until_green(gitea: GiteaDriver) -> None:
    merge_dev = _first_hop(gitea)
    gitea.flux(merge_dev, "apps-dev", "failure", "east")
    assert gitea.cli("status", "--branch", BRANCH)[0] == 1
    assert gitea.pr(2).state == "open" and gitea.pr(2).auto_merge
    gitea.flux(merge_dev, "apps-dev", "success", "east")
    code, out = gitea.cli("status", "--branch", BRANCH)
    assert code == 0, out
    head = gitea.fake.prs[2].head_sha
    posted = [(s.context, s.state) for s in gitea.fake.statuses if s.sha == head]
    assert posted == [(GATE, "failure"), (GATE, "success")]
    assert gitea.pr(2).state == "merged"


def test_rerun_keeps_one_pr_and_an_already_scheduled_merge(gitea: GiteaDriver) -> None:
    assert gitea.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    code, out = gitea.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.1")
    assert code == 0, out
    assert gitea.open_pr_count() == 1 and gitea.pr(1).auto_merge


def test_transient_errors_and_rate_limits_are_retried(gitea: GiteaDriver) -> None:
    gitea.fake.fail_next(1, 502, match="POST /api/v1/repos/acme/gitops/pulls")
    gitea.fake.rate_limit_next(0, match="POST /api/v1/repos/acme/gitops/pulls")
    gitea.fake.reset_next(1, match="/merge")
    code, out = gitea.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    assert [r.status for r in gitea.fake.calls("POST", "/pulls")][:3] == [502, 429, 201]
    assert gitea.open_pr_count() == 1 and gitea.pr(1).auto_merge


def test_api_failure_is_an_error_never_a_skip(gitea: GiteaDriver) -> None:
    assert gitea.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    gitea.gate(1)
    play(gitea, [Sync("dev")], LAYOUTS["directory"])
    gitea.fake.fail_next(1, 403, match="/pull")
    code, out = gitea.cli("promote")
    assert code == 1, out
    assert "nothing to" not in out.lower() and "skip" not in out.lower()
    assert "Gitea: could not find the pull request of commit" in out


def test_disallowed_merge_style_names_the_setting(
    example_repo: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    remote, work = example_repo
    fake = _start(remote, monkeypatch, GiteaSettings(required_contexts={}, merge_styles=("squash",)))
    try:
        code, out = GiteaDriver(fake, work, capsys).cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    finally:
        fake.stop()
    assert code == 1, out
    assert "405" in out and "Settings > Repository > Pull Requests" in out and TOKEN not in out


def test_missing_or_bad_token(gitea: GiteaDriver, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GITEA_TOKEN")
    code, out = gitea.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 2 and "GITEA_TOKEN" in out, out
    monkeypatch.setenv("GITEA_TOKEN", "gitea-wrong-token-0123456789")
    code, out = gitea.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 1 and "401" in out and "gitea-wrong-token-0123456789" not in out, out


def test_doctor_reads_branch_protection(gitea: GiteaDriver) -> None:
    code, out = gitea.cli("doctor")
    assert code == 0, out
    assert "branch protection on main requires 'gitops-promotion/gate'" in out
    gitea.fake.settings.required_contexts.clear()
    code, out = gitea.cli("doctor")
    assert code == 1, out


def test_concurrent_new_for_the_same_app_and_for_different_apps(gitea: GiteaDriver) -> None:
    remote = Path(gitea.fake.git.path)
    first, second, third = clones(remote, gitea.work.parent, 3)
    flags = ["--provider", "gitea", "--api-url", gitea.fake.origin]
    env = {"GITHUB_REPOSITORY": "acme/gitops", "GITEA_TOKEN": TOKEN}
    jobs = [(first, "podinfo", "7.0.0"), (second, "podinfo", "7.0.1"), (third, "sidecar", "2.0")]
    for result in run_new_in_parallel(jobs, flags, env):
        assert result.returncode == 0, result.stdout + result.stderr
    opened = [pr for pr in gitea.fake.prs.values() if pr.state == "open"]
    assert sorted(pr.head for pr in opened) == [BRANCH, "promote/apps-sidecar"]
    pr = next(p for p in opened if p.head == BRANCH)
    tag = pr.title.split(" version ")[1].split(" ")[0]
    assert f"podinfo:{tag} " in git(remote, "show", f"{BRANCH}:apps/dev/podinfo.yaml")
    assert git(remote, "rev-list", "--count", f"main..{BRANCH}") == "1"


def test_rejected_push_is_retried(gitea: GiteaDriver) -> None:
    gitea.fake.reject_next_push(1)
    code, out = gitea.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")
    assert code == 0, out
    assert gitea.fake.git.pushes_left_to_reject() == 0
    assert [pr.head for pr in gitea.fake.prs.values()] == [BRANCH]


def test_show_lists_the_open_promotion_pr(gitea: GiteaDriver) -> None:
    assert gitea.cli("new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0")[0] == 0
    gitea.fake.requests.clear()
    code, out = gitea.cli("show", "--output", "json")
    assert code == 0, out
    assert "7.0.0" in out
    assert any(r.startswith("GET /repos/acme/gitops/pulls?") and "state=open" in r for r in gitea.fake.request_lines())
