from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.config import load_config, parse_config
from gitops_promotion.errors import ConfigError
from gitops_promotion.names import validate_name

GO_CONFIG = """\
prflow: per-env
status_timeout_minutes: 10
environments:
  - name: dev
    auto: true
  - name: qa
    auto: true
  - name: prod
    auto: false
groups:
  apps:
    applications:
      podinfo:
        featureLabelSelector:
          app: podinfo
      other:
        featureOverwrite: true
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "gitops-promotion.yaml"
    path.write_text(text)
    return path


def test_go_tool_config_loads_with_domain_helpers(tmp_path: Path) -> None:
    config = load_config(write(tmp_path, GO_CONFIG))
    assert config.prflow == "per-env"
    assert config.env_names == ["dev", "qa", "prod"]
    assert config.status_timeout_seconds == 600
    assert config.next_env("dev").name == "qa"  # type: ignore[union-attr]
    assert config.next_env("prod") is None
    assert config.previous_env("qa").name == "dev"  # type: ignore[union-attr]
    assert config.previous_env("dev") is None
    assert config.automated("qa", "apps", "podinfo") and not config.automated("prod", "apps", "podinfo")
    assert config.application("apps", "podinfo").featureLabelSelector == {"app": "podinfo"}  # type: ignore[union-attr]
    assert config.application("apps", "other").featureOverwrite  # type: ignore[union-attr]
    assert config.merge_method == "merge" and config.default_branch is None


@pytest.mark.parametrize(("value", "seconds"), [("90s", 90), ("10m", 600), ("1h30m", 5400), (2, 120), ("3", 180)])
def test_status_timeout_is_minutes_or_duration(tmp_path: Path, value: object, seconds: float) -> None:
    text = f"status_timeout_minutes: {value!r}\nenvironments: [{{name: dev}}]\n".replace("'", '"')
    assert load_config(write(tmp_path, text)).status_timeout_seconds == seconds


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("environments: [{name: dev}]\nprflw: per-app\n", "gitops-promotion.yaml:2: prflw: unknown key"),
        (
            "environments:\n  - name: dev\n    autoo: true\n",
            "gitops-promotion.yaml:3: environments.0.autoo: unknown key",
        ),
        ("environments:\n  - name: dev\n  - name: dev\n", "duplicate environment name(s): dev"),
        ("environments: []\n", "environments must list at least one environment"),
        ("prflow: per-app\n", "environments: Field required"),
        (
            "environments: [{name: dev}]\nmerge_method: octopus\n",
            "gitops-promotion.yaml:2: merge_method: Input should be",
        ),
        ("environments: [{name: dev}]\nstatus_timeout_minutes: soon\n", "invalid duration 'soon'"),
        ("environments: [{name: Dev_1}]\n", "must be a DNS label"),
        (
            "environments:\n  - name: prod\n    auto: true\n    policy: {freeze: true}\n",
            "frozen (policy.freeze) and auto",
        ),
        (
            "environments: [{name: dev}]\ngroups:\n  apps:\n    policies: {prod: {freeze: true}}\n",
            "groups.apps.policies names unknown environment 'prod'",
        ),
        ("environments: [{name: dev, policy: {allowed_tags: '('}}]\n", "not a valid regular expression"),
        ("environments: [{name: dev}\n", "gitops-promotion.yaml:2: invalid YAML"),
        ("- a\n- b\n", "expected a mapping at the top level"),
    ],
)
def test_config_errors_are_one_line_with_file_and_key(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_config(write(tmp_path, text))
    message = str(info.value)
    assert expected in message
    assert "\n" not in message
    assert info.value.exit_code == 2


def test_missing_config_names_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="config file not found"):
        load_config(tmp_path / "gitops-promotion.yaml")


def test_locations_directory_branch_and_mixed_layouts() -> None:
    config = parse_config(
        {
            "environments": [
                {"name": "dev"},
                {"name": "stage", "path": "clusters/{env}/{group}"},
                {"name": "prod", "branch": "prod"},
            ]
        }
    )
    assert config.location("dev", "apps", "main").branch == "main"
    assert config.location("dev", "apps", "main").path == "apps/dev"
    assert config.location("stage", "apps", "main").path == "clusters/stage/apps"
    prod = config.location("prod", "apps", "main")
    assert (prod.branch, prod.path) == ("prod", "apps")
    assert config.uses_env_branches


def test_policy_overrides_merge_env_group_app() -> None:
    config = parse_config(
        {
            "environments": [
                {"name": "dev"},
                {"name": "prod", "policy": {"allowed_tags": r"v\d+", "freeze": False}},
            ],
            "groups": {
                "apps": {
                    "policies": {"prod": {"freeze": True}},
                    "applications": {"web": {"policies": {"prod": {"allowed_tags": ".*"}}}},
                }
            },
        }
    )
    web = config.policy("prod", "apps", "web")
    assert (web.allowed_tags, web.freeze) == (".*", True)
    api = config.policy("prod", "apps", "api")
    assert (api.allowed_tags, api.freeze) == (r"v\d+", True)
    assert config.policy("prod", "other", "x").freeze is False


def test_unknown_env_lists_known_ones() -> None:
    config = parse_config({"environments": [{"name": "dev"}, {"name": "qa"}]})
    with pytest.raises(ConfigError, match=r"unknown environment 'prod'; gitops-promotion.yaml defines: dev, qa"):
        config.env("prod")


@pytest.mark.parametrize("bad", ["../etc", "a/b", "", "-x", "a..b", "x" * 200, "a b"])
def test_validate_name_rejects_path_like_values(bad: str) -> None:
    with pytest.raises(ConfigError, match="--group"):
        validate_name("group", bad)


@pytest.mark.parametrize(
    "envs",
    [
        [{"name": "stage", "branch": "env"}, {"name": "prod", "branch": "env"}],
        [{"name": "dev", "path": "x/{group}"}, {"name": "qa", "path": "x/{group}"}],
    ],
)
def test_two_envs_in_one_place_rejected(envs: list[dict[str, str]]) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="both live on"):
        parse_config({"environments": envs})


def test_branch_envs_with_distinct_paths_allowed() -> None:
    parse_config(
        {
            "environments": [
                {"name": "a", "branch": "env", "path": "a/{group}"},
                {"name": "b", "branch": "env", "path": "b/{group}"},
            ]
        }
    )
