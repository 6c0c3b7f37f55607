"""The whole GitLab flow through the real CLI against the validating fake GitLab (tests/forge/gitlab_fake.py).

The checkout's origin is the fake's bare repository on disk; the CLI learns the project from CI_PROJECT_PATH (as
in GitLab CI, here with nested groups), the token from GITLAB_TOKEN, and reaches the fake through --api-url.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import git
from tests.e2e.layouts import LAYOUTS
from tests.e2e.scenarios import SCENARIOS, cases, play
from tests.e2e.steps import PRView, cluster_suffix, run_cli
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
