"""action.yml, unchanged, run the way Gitea/Forgejo Actions runs a composite action (GITHUB_* variables plus
GITEA_ACTIONS, GITHUB_SERVER_URL naming the Gitea instance) against the validating fake Gitea: the tool detects
Gitea, opens the pull request there, and writes the action's outputs. actions/cache is the one step not run
(act_runner serves it from its own cache server)."""

from __future__ import annotations

from pathlib import Path

from tests.forge.gitea_fake import TOKEN, FakeGitea, GiteaSettings
from tests.test_action_steps import Runner


def test_action_yml_runs_unchanged_under_gitea_actions(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    remote, work = example_repo
    with FakeGitea(remote, settings=GiteaSettings(required_contexts={"*": ["gitops-promotion/gate"]})) as fake:
        env = {
            "GITHUB_WORKSPACE": str(work.parent),
            "GITEA_ACTIONS": "true",
            "GITHUB_SERVER_URL": fake.origin,
            "GITHUB_REPOSITORY": "acme/gitops",
        }
        inputs = {
            "action": "new",
            "token": TOKEN,
            "group": "apps",
            "app": "podinfo",
            "tag": "6.5.2",
            "working-directory": work.name,
        }
        runner = Runner(tmp_path, inputs, env)
        steps = runner.run()
        assert [p.returncode for p in steps] == [0, 0, 0], steps[-1].stdout + steps[-1].stderr
        assert "created branch promote/apps-podinfo with pull request 1" in steps[-1].stdout
        shown = [line for line in (steps[-1].stdout + steps[-1].stderr).splitlines() if TOKEN in line]
        assert shown == [f"::add-mask::{TOKEN}"]  # the runner is asked to mask it; it is never printed
        assert runner.action_outputs()["pr-number"] == "1"
        assert fake.prs[1].scheduled is not None  # auto-merge scheduled through the Gitea API
    assert fake.violations == []
