"""`policy check` explains decisions; conflicting policies are rejected when the config is loaded."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from gitops_promotion.cli import main
from gitops_promotion.commands.policy_check import policy_check
from gitops_promotion.config import parse_config
from tests.release.builders import Repo, context, deployment, make_repo

CONFIG = """\
environments:
  - {name: dev, auto: true}
  - {name: qa, auto: true}
  - name: prod
    policy: {allowed_tags: 'v?\\d+\\.\\d+\\.\\d+'}
groups:
  apps:
    policies:
      prod: {freeze: true}
    applications:
      web:
        policies:
          prod: {freeze: false, require_previous: true}
"""


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    files = {
        f"apps/{e}/{a}.yaml": deployment("apps", a, "1.0.0") for e in ("dev", "qa", "prod") for a in ("web", "api")
    }
    files["apps/qa/web.yaml"] = deployment("apps", "web", "1.1.0")
    return make_repo(tmp_path, CONFIG, {"main": files})


def test_explains_each_rule_and_where_it_was_set(repo: Repo) -> None:
    result = policy_check(context(repo.work), group="apps", app="web", tag="1.1.0", env="prod")
    assert result.exit_code == 0 and result.data["allowed"] is True
    assert result.lines == (
        "policy for apps/web in prod (promote):",
        "  allowed_tags: 'v?\\d+\\.\\d+\\.\\d+'  [environments.prod.policy]",  # as written, not doubled
        "  require_previous: true  [groups.apps.applications.web.policies.prod]",
        "  freeze: false  [groups.apps.applications.web.policies.prod]",
        "  auto: false  [environments.prod.auto]",
        "  - passes: tag 1.1.0 matches allowed_tags 'v?\\d+\\.\\d+\\.\\d+'",
        "  - passes: qa runs 1.1.0",
    )
    assert result.message.startswith("allowed: apps/web 1.1.0 into prod (promote)")


def test_blocked_by_group_freeze_and_require_previous(repo: Repo) -> None:
    frozen = policy_check(context(repo.work), group="apps", app="api", tag="1.0.0", env="prod")
    assert frozen.exit_code == 1 and "prod is frozen" in frozen.message
    assert "  freeze: true  [groups.apps.policies.prod]" in frozen.lines
    behind = policy_check(context(repo.work), group="apps", app="web", tag="1.2.0", env="prod")
    assert behind.exit_code == 1 and "require_previous: qa runs 1.1.0, not 1.2.0" in behind.message
    forced = policy_check(
        context(repo.work), group="apps", app="api", tag="1.0.0", env="prod", kind="release", force=True
    )
    assert forced.exit_code == 0 and "overridden with --force" in forced.message


def test_policy_check_cli_exit_codes(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["policy", "check", "--group", "apps", "--app", "web", "--env", "prod", "--sourcedir", str(repo.work)]
    assert main([*args, "--tag", "1.1.0"]) == 0
    assert "allowed: apps/web 1.1.0 into prod" in capsys.readouterr().out
    assert main([*args, "--tag", "nightly"]) == 1
    assert "blocked: apps/web nightly into prod" in capsys.readouterr().out
    # Blocked: the message names the rule that blocks, not the one that passed (issue 14, item 11).
    assert main([*args, "--tag", "1.2.0"]) == 1
    out = capsys.readouterr().out
    assert "blocked: apps/web 1.2.0 into prod (promote): require_previous: qa runs 1.1.0, not 1.2.0\n" in out
    assert "  - passes: tag 1.2.0 matches allowed_tags 'v?\\d+\\.\\d+\\.\\d+'" in out
    assert "  - blocks: require_previous: qa runs 1.1.0, not 1.2.0" in out
    assert main([*args, "--tag", "1.1.0", "--output", "json"]) == 0
    assert '"allowed": true' in capsys.readouterr().out


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (
            {"environments": [{"name": "dev"}, {"name": "prod", "auto": True, "policy": {"freeze": True}}]},
            "frozen (policy.freeze) and auto",
        ),
        (
            {
                "environments": [{"name": "dev"}, {"name": "prod", "auto": True}],
                "groups": {"g": {"policies": {"prod": {"freeze": True}}}},
            },
            "groups.g.policies.prod: prod would be frozen (freeze) and auto-merged (auto); choose one",
        ),
        (
            {
                "environments": [{"name": "dev"}, {"name": "prod", "policy": {"freeze": True}}],
                "groups": {"g": {"applications": {"a": {"policies": {"prod": {"auto": True}}}}}},
            },
            "groups.g.applications.a.policies.prod: prod would be frozen",
        ),
        (
            {"environments": [{"name": "dev", "policy": {"require_previous": True}}, {"name": "prod"}]},
            "require_previous is set but dev is the first environment",
        ),
    ],
)
def test_conflicting_policies_are_rejected(data: dict[str, object], message: str) -> None:
    with pytest.raises(ValidationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        parse_config(data)


def test_an_override_may_lift_the_conflict() -> None:
    config = parse_config(
        {
            "environments": [{"name": "dev"}, {"name": "prod", "auto": True}],
            "groups": {"g": {"policies": {"prod": {"freeze": True, "auto": False}}}},
        }
    )
    assert config.automated("prod", "g", "x") is False and config.automated("prod", "other", "x") is True


def test_conflict_is_a_config_error_at_load(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad = CONFIG.replace("prod: {freeze: true}", "prod: {freeze: true, auto: true}")
    repo = make_repo(tmp_path, bad, {"main": {"apps/dev/web.yaml": deployment("apps", "web", "1")}})
    assert main(["show", "--offline", "--sourcedir", str(repo.work)]) == 2
    assert "groups.apps.policies.prod: prod would be frozen" in capsys.readouterr().err


def test_group_auto_override_applies_to_promotions(tmp_path: Path) -> None:
    from gitops_promotion.commands.new import new
    from gitops_promotion.providers.local import LocalForge

    config = """\
environments:
  - {name: dev, auto: true}
  - {name: qa, auto: true}
groups:
  apps:
    policies:
      dev: {auto: false}
"""
    repo = make_repo(
        tmp_path, config, {"main": {f"apps/{e}/web.yaml": deployment("apps", "web", "1.0") for e in ("dev", "qa")}}
    )
    result = new(context(repo.work), group="apps", app="web", tag="2.0")
    assert "manual merge" in result.message
    assert not LocalForge(repo.remote).get_pr(result.pr_number or 0).auto_merge


def test_policy_check_shows_soak_and_the_windows_verdict_the_gate_posts(tmp_path: Path) -> None:
    config = CONFIG.replace(
        "  - {name: qa, auto: true}\n",
        "  - {name: qa, auto: true, policy: {soak: 30m}}\n",
    ).replace(
        "    policy: {allowed_tags: 'v?\\d+\\.\\d+\\.\\d+'}\n",
        "    policy:\n      allowed_tags: 'v?\\d+\\.\\d+\\.\\d+'\n"
        "      windows: [{allow: {cron: '0 9 1 1 *', duration: 1h, timezone: Europe/Stockholm}}]\n",
    )
    files = {f"apps/{e}/web.yaml": deployment("apps", "web", "1.1.0") for e in ("dev", "qa", "prod")}
    repo = make_repo(tmp_path, config, {"main": files})
    result = policy_check(context(repo.work), group="apps", app="web", tag="1.1.0", env="prod")
    assert "  - soak: qa must run the tag 30m first; windows: closed: window opens" in "\n".join(result.lines)
    assert "Europe/Stockholm; the gate waits (pending)" in result.message
    assert result.data["windows"].startswith("soak: qa must run the tag 30m first; windows: closed: window opens")
