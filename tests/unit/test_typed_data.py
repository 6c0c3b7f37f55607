"""The config's fast path (typed_data.py) takes only what pydantic takes, as the same value; pydantic decides the rest.

Hypothesis draws config-shaped data from the classes' own annotations, right and wrong: every key optional, some
unknown, values of the declared type (a pool of valid and invalid ones for the checked fields) or of another
(what pydantic's lax mode coerces, or refuses). Whatever the fast path returns must equal pydantic's result.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import TypeAdapter, ValidationError

from gitops_promotion import typed_data
from gitops_promotion.config import Config, load_config, parse_config
from gitops_promotion.errors import ConfigError
from gitops_promotion.typed_data import Check, Pattern, annotation_at, hints

# Values for the fields whose rules need more than a type: some pass, some fail.
POOLS: dict[str, list[Any]] = {
    "name": ["dev", "qa", "prod", "Dev", "a-b", "{group}-{env}", "x.y", "a" * 63, "a" * 64, "-a"],
    "cron": ["0 9 * * 1-5", "*/5 * * * *", "bogus", "61 * * * *"],
    "timezone": ["UTC", "Europe/Stockholm", "Mars/Base"],
    "duration": ["8h", "30m", 90, 0, "-1h", "soon"],
    "soak": ["1h", 30, "2d", "never", None],
    "status_timeout_minutes": [5, 2.5, "10m", "x", 0],
    "allowed_tags": [r"^v\d+", "(", None],
    "path": ["apps/{env}", "/abs", "../out", None],
    "url_env": ["SLACK_URL", "1BAD", "ok_1"],
    "kind": ["Kustomization", "helmrelease", "Deployment", None],
    "providers": [["0a1b2c3d"], ["0A1B2C3D", "deadbeef"], ["nothex"], []],
    "context": [r"kustomization/{group}-{env}/(?P<provider>[0-9a-f]{8})", "(", None],
    "insecure": [["localhost:5000"], ["http://x"], []],
}
ENV_NAMES = ["dev", "qa", "prod"]


def _strategy(tp: Any, name: str = "", depth: int = 0) -> st.SearchStrategy[Any]:  # noqa: PLR0911
    origin = typing.get_origin(tp)
    if name in POOLS:
        return st.sampled_from(POOLS[name]) | _wrong()
    if origin is typing.Annotated:
        return _strategy(typing.get_args(tp)[0], name, depth)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        return _record(tp, depth)
    if origin is typing.Literal:
        return st.sampled_from([*typing.get_args(tp), "bogus"]) | _wrong()
    if origin in (typing.Union, types.UnionType):
        return st.one_of(*(_strategy(m, name, depth) for m in typing.get_args(tp) if m is not type(None)), st.none())
    if origin is tuple:
        return st.lists(_strategy(typing.get_args(tp)[0], name, depth + 1), max_size=3) | _wrong()
    if origin is dict:
        keys = st.sampled_from(ENV_NAMES) if name == "policies" else st.sampled_from(["apps", "web", "api", "k"])
        return st.dictionaries(keys, _strategy(typing.get_args(tp)[1], "", depth + 1), max_size=2) | _wrong()
    if tp is bool:
        return st.booleans() | st.sampled_from(["yes", "true", 1, 0, "maybe"])
    if tp is str:
        return st.sampled_from(["main", "x", ""]) | _wrong()
    if tp in (int, float):
        return st.integers(-2, 10) | st.floats(0, 10) | _wrong()
    return _wrong()


def _wrong() -> st.SearchStrategy[Any]:
    return st.sampled_from([None, 3, 2.5, True, "7", ["a"], {"k": "v"}])


def _record(cls: type, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    if depth > 3:
        return st.just({})
    annotations = hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    if cls is Config:  # environments mostly right, so the rest of the config is reached
        envs = st.lists(st.fixed_dictionaries({"name": st.sampled_from(ENV_NAMES)}), min_size=1, max_size=3)
        strategies = {n: envs | _strategy(annotations[n], n, depth + 1) if n == "environments" else None for n in names}
    else:
        strategies = {n: None for n in names}
    optional = {
        n: strategy if strategy is not None else _strategy(annotations[n], n, depth + 1)
        for n, strategy in strategies.items()
    }
    return st.fixed_dictionaries({}, optional=optional | {"unknown_key": st.just(1)})


def _pydantic(data: Any) -> tuple[str, Any]:
    try:
        return "ok", TypeAdapter(Config).validate_python(data)
    except ValidationError as exc:
        return "error", [(e["type"], e["loc"]) for e in exc.errors()]


def _check(data: Any) -> None:
    """Whatever the fast path returns equals pydantic's result; build() always answers as pydantic does."""
    try:
        fast = typed_data._value(Config, data)
    except typed_data._Fallback:
        fast = None
    verdict, value = _pydantic(data)
    if fast is not None:
        assert verdict == "ok", value
        assert repr(fast) == repr(value)  # the same values, of the same types (True is not 1)
    if verdict == "ok":
        assert parse_config(data) == value
    else:
        with pytest.raises(ValidationError):
            parse_config(data)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_record(Config, 0))
def test_the_fast_path_takes_only_what_pydantic_takes_as_the_same_value(data: dict[str, Any]) -> None:
    _check(data)


WELL_FORMED: dict[str, Any] = {
    "prflow": "per-app",
    "merge_method": "squash",
    "status_timeout_minutes": 5,
    "default_branch": "main",
    "delete_branch": True,
    "allow_moving_tags": False,
    "environments": [
        {"name": "dev", "auto": True, "path": "apps/{env}"},
        {
            "name": "prod",
            "branch": "production",
            "policy": {
                "allowed_tags": r"^v\\d+",
                "require_previous": True,
                "soak": "1h",
                "windows": [{"allow": {"cron": "0 9 * * 1-5", "duration": "8h", "timezone": "UTC"}}],
            },
            "notify": [{"type": "slack", "url_env": "SLACK_URL", "events": ["opened", "merged"]}],
            "flux": {"kind": "helmrelease", "name": "{group}-{env}", "providers": ["0A1B2C3D"]},
        },
    ],
    "groups": {
        "apps": {
            "applications": {"web": {"featureOverwrite": True, "featureLabelSelector": {"app": "web"}}},
            "policies": {"prod": {"freeze": False}},
        }
    },
    "registry": {"verify": False, "insecure": ["localhost:5000"]},
}


def _leaves(node: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path of the well-formed config, containers included."""
    found = [path] if path else []
    if isinstance(node, dict):
        for key, value in node.items():
            found += _leaves(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _leaves(value, (*path, index))
    return found


def _with(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    import copy

    out = copy.deepcopy(data)
    node = out
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return out


PATHS = _leaves(WELL_FORMED)


def test_the_edited_config_is_taken_by_the_fast_path_as_it_is() -> None:
    assert [path for path in PATHS if annotation_at(Config, path) is None] == []  # every place has its type
    assert typed_data._value(Config, WELL_FORMED) == TypeAdapter(Config).validate_python(WELL_FORMED)


@pytest.mark.parametrize("path", PATHS, ids=lambda path: ".".join(map(str, path)))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_one_value_changed_in_a_well_formed_config(path: tuple[Any, ...], data: st.DataObject) -> None:
    name = next((p for p in reversed(path) if isinstance(p, str)), "")
    value = data.draw(_strategy(annotation_at(Config, path), name if name in POOLS else "", 1))
    _check(_with(WELL_FORMED, path, value))


def test_a_well_formed_config_takes_the_fast_path() -> None:
    data = {
        "environments": [
            {"name": "dev", "auto": True},
            {
                "name": "prod",
                "policy": {"windows": [{"allow": {"cron": "0 9 * * 1-5", "duration": "8h", "timezone": "UTC"}}]},
                "notify": [{"type": "slack", "url_env": "SLACK_URL"}],
                "flux": {"kind": "helmrelease", "providers": ["0A1B2C3D"]},
            },
        ],
        "groups": {"apps": {"applications": {"web": {"policies": {"prod": {"freeze": True}}}}}},
        "status_timeout_minutes": "10m",
        "registry": {"insecure": ["localhost:5000"]},
    }
    fast = typed_data._value(Config, data)
    assert fast == TypeAdapter(Config).validate_python(data)
    assert fast.environments[1].flux.kind == "HelmRelease"  # normalised by its rule, as pydantic does
    assert fast.environments[1].flux.providers == ("0a1b2c3d",)
    assert isinstance(fast.environments[0].policy.windows, type(None))


def test_rules_metadata_is_what_pydantic_reads() -> None:
    name = hints(Config)["status_timeout_minutes"]
    assert any(isinstance(m, Check) for m in typing.get_args(name)[1:])
    url_env = typing.get_args(hints(typing.get_args(hints(Config)["environments"])[0])["notify"])[0]
    assert any(isinstance(m, Pattern) for m in typing.get_args(hints(url_env)["url_env"])[1:])


def test_a_group_windows_override_stays_windows(tmp_path: Any) -> None:
    """An override's windows are WindowRules, not the dicts a model dump made of them (they failed at merge)."""
    config = parse_config(
        {
            "environments": [{"name": "dev"}, {"name": "prod"}],
            "groups": {
                "apps": {
                    "policies": {
                        "prod": {"windows": [{"deny": {"cron": "0 0 * * *", "duration": "1h", "timezone": "UTC"}}]}
                    }
                }
            },
        }
    )
    windows = config.policy("prod", "apps", "web").windows
    assert windows is not None
    assert windows[0].deny is not None
    assert windows[0].deny.duration == "1h"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("environments: [dev]\n", "environments.0: Input should be a valid dictionary or instance of Environment"),
        ("environments: [{name: dev, auto: maybe}]\n", "environments.0.auto: Input should be a valid boolean"),
        ("environments: [{name: dev}]\nregistry: {insecure: [http://x]}\n", "registry.insecure: 'http://x'"),
        (
            "environments: [{name: dev, notify: [{type: slack, url_env: 1X}]}]\n",
            "environments.0.notify.0.url_env: String should match pattern",
        ),
    ],
)
def test_errors_keep_their_wording(tmp_path: Any, text: str, reason: str) -> None:
    path = tmp_path / "gitops-promotion.yaml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert "gitops-promotion.yaml:" in str(caught.value)
    assert reason in str(caught.value), str(caught.value)
