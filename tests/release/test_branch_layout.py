"""Environments on their own branches: release, rollback, policy check and history read `origin/<branch>`."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.commands.history import history
from gitops_promotion.commands.policy_check import policy_check
from gitops_promotion.commands.release import release, rollback
from gitops_promotion.commands.show import show
from gitops_promotion.providers.local import LocalForge
from gitops_promotion.state import parse_state
from tests.release.builders import HOUR, T0, Repo, context, deployment, make_repo

CONFIG = """\
environments:
  - {name: dev, branch: dev, auto: true}
  - {name: qa, auto: true}
  - name: prod
    branch: prod
    policy: {require_previous: true}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    repo = make_repo(
        tmp_path,
        CONFIG,
        {
            "main": {"apps/qa/web.yaml": deployment("apps", "web", "1.0")},
            "dev": {"apps/web.yaml": deployment("apps", "web", "1.0"), "apps/only-dev.yaml": "kind: ConfigMap\n"},
            "prod": {"apps/web.yaml": deployment("apps", "web", "0.9")},
        },
    )
    for hour, tag in ((1, "1.1"), (2, "1.2")):
        repo.merge_pr(
            "dev",
            {"apps/web.yaml": deployment("apps", "web", tag)},
            f"Promote apps/web version {tag} to environment dev",
            at=T0 + hour * HOUR,
        )
    for branch in ("dev", "prod"):
        repo.git("branch", "-q", "-D", branch)  # only origin/<branch>: nothing may rely on a local branch
    return repo


def test_release_into_an_env_branch(repo: Repo) -> None:
    blocked = policy_check(context(repo.work), group="apps", app="web", tag="1.2", env="prod", kind="release")
    assert blocked.exit_code == 1 and "require_previous: qa runs 1.0, not 1.2" in blocked.message
    result = release(context(repo.work), group="apps", app="web", tag="1.0", env="prod", requester="me")
    assert "policy: qa runs 1.0" in result.lines
    pr = LocalForge(repo.remote).get_pr(result.pr_number or 0)
    assert (pr.head, pr.base) == ("release/prod/apps-web", "prod")
    pushed = repo.git("show", "origin/release/prod/apps-web:apps/web.yaml")
    assert "image: registry.example:5000/apps/web:1.0 #" in pushed
    assert repo.git("rev-parse", "--abbrev-ref", "HEAD") == "main"


def test_rollback_reads_the_env_branch_history(repo: Repo) -> None:
    result = rollback(context(repo.work), group="apps", app="web", env="dev", requester="me")
    pr = LocalForge(repo.remote).get_pr(result.pr_number or 0)
    state = parse_state(pr.body)
    assert state is not None and (state.type, state.tag) == ("rollback", "1.1")
    assert (pr.head, pr.base) == ("rollback/dev/apps-web", "dev")
    changed = repo.git("diff", "--name-only", "origin/dev", "origin/rollback/dev/apps-web")
    assert changed == "apps/web.yaml"  # the env's other files stay as they are


def test_show_and_history_per_branch(repo: Repo) -> None:
    result = show(context(repo.work), offline=True, clock=lambda: T0 + 3 * HOUR)
    assert result.lines[0].split() == ["APP", "dev", "[dev]", "qa", "[main]", "prod", "[prod]"]
    assert result.lines[1].split()[:2] == ["apps/web", "1.2"]
    changes = history(context(repo.work), group="apps", app="web", offline=True).data["changes"]
    assert [(c["env"], c["image"]["tag"], c["pr"]) for c in changes] == [
        ("dev", "1.2", 2),
        ("dev", "1.1", 1),
        ("prod", "0.9", None),
        ("qa", "1.0", None),
        ("dev", "1.0", None),
    ]
