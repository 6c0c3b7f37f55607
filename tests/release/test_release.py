"""release and rollback: PRs of their own type, policy-gated, never auto-merged unless the policy says so."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.cli import main
from gitops_promotion.commands.release import release, rollback
from gitops_promotion.errors import PolicyError, PromotionError
from gitops_promotion.providers.local import LocalForge
from gitops_promotion.state import parse_state
from tests.release.builders import HOUR, T0, Repo, context, deployment, make_repo

CONFIG = """\
environments:
  - {name: dev, auto: true}
  - {name: qa, auto: true}
  - name: prod
    policy: {allowed_tags: '\\d+\\.\\d+\\.\\d+', freeze: true}
groups:
  apps:
    policies:
      qa: {auto: true}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    files = {f"apps/{e}/web.yaml": deployment("apps", "web", "1.0.0") for e in ("dev", "qa", "prod")}
    repo = make_repo(tmp_path, CONFIG, {"main": files})
    for hour, tag in ((1, "1.1.0"), (2, "1.2.0")):
        repo.merge_pr(
            "main",
            {"apps/dev/web.yaml": deployment("apps", "web", tag)},
            f"Promote apps/web version {tag} to environment dev",
            at=T0 + hour * HOUR,
        )
    return repo


def test_release_opens_a_release_pr_with_reason_and_requester(repo: Repo) -> None:
    ctx = context(repo.work, environ={"GITHUB_ACTOR": "octocat"})
    result = release(ctx, group="apps", app="web", tag="1.2.1", env="dev", reason="CVE-2026-0001 | urgent")
    assert result.outcome == "opened" and result.branch == "release/dev/apps-web"
    pr = LocalForge(repo.remote).get_pr(result.pr_number or 0)
    state = parse_state(pr.body)
    assert state is not None
    assert (state.type, state.tag, state.env, state.reason, state.requester, state.forced) == (
        "release",
        "1.2.1",
        "dev",
        "CVE-2026-0001 | urgent",
        "octocat",
        False,
    )
    assert pr.title == "Release apps/web version 1.2.1 to environment dev"
    assert "| Reason | CVE-2026-0001 \\| urgent |" in pr.body and "| Requested by | octocat |" in pr.body
    # dev is `auto: true`, but only an explicit policy `auto` may auto-merge a release
    assert not pr.auto_merge and "manual merge" in result.message
    show = repo.git("show", f"origin/{result.branch}:apps/dev/web.yaml")
    assert "registry.example:5000/apps/web:1.2.1 #" in show


def test_release_auto_merges_only_when_the_policy_says_so(repo: Repo) -> None:
    result = release(context(repo.work), group="apps", app="web", tag="1.1.0", env="qa", requester="me")
    assert LocalForge(repo.remote).get_pr(result.pr_number or 0).auto_merge
    assert "auto-merge on" in result.message


def test_freeze_needs_force_and_records_it(repo: Repo) -> None:
    with pytest.raises(PolicyError, match=r"prod is frozen \(a release may override it with --force\)"):
        release(context(repo.work), group="apps", app="web", tag="1.2.0", env="prod")
    result = release(
        context(repo.work),
        group="apps",
        app="web",
        tag="1.2.0",
        env="prod",
        force=True,
        reason="incident 42",
        requester="oncall",
    )
    assert "policy: prod is frozen; overridden with --force" in result.lines
    pr = LocalForge(repo.remote).get_pr(result.pr_number or 0)
    state = parse_state(pr.body)
    assert state is not None and state.forced and '"forced":true' in pr.body
    assert "| Forced | yes (policy overridden with --force) |" in pr.body
    assert not pr.auto_merge


def test_allowed_tags_still_apply_to_forced_releases(repo: Repo) -> None:
    with pytest.raises(PolicyError, match="does not match allowed_tags"):
        release(context(repo.work), group="apps", app="web", tag="main-abc123", env="prod", force=True)


def test_requester_falls_back_to_azure_then_git(repo: Repo) -> None:
    azure = release(
        context(repo.work, environ={"BUILD_REQUESTEDFOR": "Ada Lovelace"}),
        group="apps",
        app="web",
        tag="1.2.5",
        env="dev",
    )
    state = parse_state(LocalForge(repo.remote).get_pr(azure.pr_number or 0).body)
    assert state is not None and state.requester == "Ada Lovelace"
    repo.git("config", "user.name", "Local Person")
    again = release(context(repo.work), group="apps", app="web", tag="1.2.6", env="dev")
    assert again.pr_number == azure.pr_number and again.outcome == "updated"
    state = parse_state(LocalForge(repo.remote).get_pr(again.pr_number or 0).body)
    assert state is not None and state.requester == "Local Person" and state.tag == "1.2.6"


def test_rollback_goes_to_the_previous_distinct_tag(repo: Repo) -> None:
    result = rollback(context(repo.work), group="apps", app="web", env="dev", requester="me")
    assert result.branch == "rollback/dev/apps-web"
    state = parse_state(LocalForge(repo.remote).get_pr(result.pr_number or 0).body)
    assert state is not None
    assert (state.type, state.tag, state.reason) == (
        "rollback",
        "1.1.0",
        "roll back apps/web in dev from 1.2.0 to 1.1.0",
    )
    to = rollback(context(repo.work), group="apps", app="web", env="dev", to="1.0.0", reason="bad release")
    state = parse_state(LocalForge(repo.remote).get_pr(to.pr_number or 0).body)
    assert state is not None and (state.tag, state.reason) == ("1.0.0", "bad release")


def test_rollback_without_history_asks_for_to(repo: Repo) -> None:
    with pytest.raises(PromotionError, match=r"no earlier tag of apps/web in qa .*pass --to TAG"):
        rollback(context(repo.work), group="apps", app="web", env="qa")


def test_release_and_rollback_cli(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    base = ["--sourcedir", str(repo.work), "--provider", "local"]
    assert main(["release", "--group", "apps", "--app", "web", "--tag", "1.3.0", "--env", "prod", *base]) == 1
    assert "policy blocks apps/web 1.3.0 into prod: prod is frozen" in capsys.readouterr().err
    code = main(
        [
            "release",
            "--group",
            "apps",
            "--app",
            "web",
            "--tag",
            "1.3.0",
            "--env",
            "prod",
            "--force",
            "--reason",
            "hotfix",
            "--requester",
            "me",
            *base,
        ]
    )
    out = capsys.readouterr().out
    assert code == 0 and "created branch release/prod/apps-web with pull request 1" in out
    assert main(["rollback", "--group", "apps", "--app", "web", "--env", "dev", *base]) == 0
    assert "Roll back apps/web to version 1.1.0 in environment dev" in capsys.readouterr().out
    assert main(["release", "--group", "apps", "--app", "web", "--tag", "1.3.0", "--env", "nope", *base]) == 2
    assert "unknown environment 'nope'" in capsys.readouterr().err


def test_release_with_a_digest_pins_it(repo: Repo) -> None:
    digest = "sha256:" + "0123456789abcdef" * 4
    result = release(context(repo.work), group="apps", app="web", tag="1.2.1", env="dev", digest=digest, requester="me")
    pushed = repo.git("show", f"origin/{result.branch}:apps/dev/web.yaml")
    assert f"registry.example:5000/apps/web:1.2.1@{digest} #" in pushed
    state = parse_state(LocalForge(repo.remote).get_pr(result.pr_number or 0).body)
    assert state is not None and state.digest == digest
