"""gitops-promotion.yaml as frozen dataclasses (extra keys rejected), its loader, and domain helpers.

The schema is the Go tool's (prflow, environments, status_timeout_minutes, groups) plus our additions:
default_branch, merge_method, per-environment branch/path (branch-per-environment layouts), policies and
notifications. Validation happens here once (typed_data.py: pydantic only when the data is not plainly right);
nothing downstream re-validates.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from gitops_promotion.durations import parse_duration
from gitops_promotion.errors import ConfigError
from gitops_promotion.flux_config import FluxStatusConfig
from gitops_promotion.names import is_dns_label
from gitops_promotion.typed_data import FORBID_EXTRA, Check, Pattern, annotation_at, bare, build

if TYPE_CHECKING:
    from pydantic import ValidationError

CONFIG_FILE = "gitops-promotion.yaml"

NotifyEvent = Literal["opened", "merged", "blocked", "release", "override"]


def _positive_duration(value: str | int) -> str | int:
    if parse_duration(value, bare_unit="m") <= 0:
        msg = f"duration must be positive: {value!r}"
        raise ValueError(msg)
    return value


def _zone(value: str) -> str:
    from gitops_promotion.windows import check_zone

    check_zone(value)
    return value


def _cron(value: str) -> str:
    from gitops_promotion.windows import check_cron

    check_cron(value)
    return value


def _duration(value: str | int | float | None) -> Any:
    if value is not None:
        parse_duration(value, bare_unit="m")
    return value


def _regex_compiles(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            msg = f"allowed_tags is not a valid regular expression: {exc}"
            raise ValueError(msg) from None
    return value


def _dns_label(value: str) -> str:
    if not is_dns_label(value):
        msg = f"environment name {value!r} must be a DNS label (lowercase letters, digits, '-')"
        raise ValueError(msg)
    return value


def _relative_path(value: str | None) -> str | None:
    if value is not None and (value.startswith("/") or ".." in Path(value).parts):
        msg = f"path {value!r} must be relative to the repository root and stay inside it"
        raise ValueError(msg)
    return value


def _hosts(value: tuple[str, ...]) -> tuple[str, ...]:
    for host in value:
        if not re.fullmatch(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?", host):
            msg = f"{host!r} is not a registry host (host or host:port, no scheme or path)"
            raise ValueError(msg)
    return value


@dataclass(frozen=True, kw_only=True)
class WindowSpec:
    """A recurring window: it opens at each ``cron`` time in ``timezone`` and stays open for ``duration``."""

    __pydantic_config__ = FORBID_EXTRA

    cron: Annotated[str, Check(_cron)]
    duration: Annotated[str | int, Check(_positive_duration)]
    timezone: Annotated[str, Check(_zone)]


@dataclass(frozen=True, kw_only=True)
class WindowRule:
    """One entry of ``policy.windows``: exactly one of ``allow`` or ``deny``."""

    __pydantic_config__ = FORBID_EXTRA

    allow: WindowSpec | None = None
    deny: WindowSpec | None = None

    def __post_init__(self) -> None:
        if (self.allow is None) == (self.deny is None):
            msg = "each window needs exactly one of allow or deny"
            raise ValueError(msg)


@dataclass(frozen=True, kw_only=True)
class Policy:
    """Rules for promotions into one environment; ``None`` means "not set here" so overrides can merge."""

    __pydantic_config__ = FORBID_EXTRA

    allowed_tags: Annotated[str | None, Check(_regex_compiles)] = None
    require_previous: bool | None = None
    freeze: bool | None = None
    auto: bool | None = None
    # how long a tag must run here before it may leave (durations.py syntax)
    soak: Annotated[str | int | None, Check(_duration)] = None
    windows: tuple[WindowRule, ...] | None = None  # when promotions INTO this environment may merge

    @property
    def soak_seconds(self) -> float:
        return parse_duration(self.soak, bare_unit="m") if self.soak else 0.0

    def merged(self, override: Policy | None) -> Policy:
        """This policy with every field ``override`` sets replaced."""
        if override is None:
            return self
        changes = {f.name: getattr(override, f.name) for f in dataclasses.fields(override)}
        return dataclasses.replace(self, **{name: value for name, value in changes.items() if value is not None})


@dataclass(frozen=True, kw_only=True)
class Notifier:
    """A webhook; its URL is read from the environment variable ``url_env``, never from this file."""

    __pydantic_config__ = FORBID_EXTRA

    type: Literal["slack", "teams", "webhook"]
    url_env: Annotated[str, Pattern(r"^[A-Za-z_][A-Za-z0-9_]*$")]
    events: tuple[NotifyEvent, ...] = ("opened", "merged", "blocked", "release", "override")


@dataclass(frozen=True, kw_only=True)
class Environment:
    __pydantic_config__ = FORBID_EXTRA

    name: Annotated[str, Check(_dns_label)]
    auto: bool = False
    branch: str | None = None
    path: Annotated[str | None, Check(_relative_path)] = None
    policy: Policy = field(default_factory=Policy)
    notify: tuple[Notifier, ...] = ()
    flux: FluxStatusConfig = field(default_factory=FluxStatusConfig)

    def __post_init__(self) -> None:
        if self.policy.freeze and (self.auto or self.policy.auto):
            msg = f"environment {self.name!r} is frozen (policy.freeze) and auto at once; choose one"
            raise ValueError(msg)

    @property
    def automated(self) -> bool:
        return self.policy.auto if self.policy.auto is not None else self.auto


@dataclass(frozen=True, kw_only=True)
class Application:
    __pydantic_config__ = FORBID_EXTRA

    featureOverwrite: bool = False  # noqa: N815 - the Go tool's key
    featureLabelSelector: dict[str, str] = field(default_factory=dict)  # noqa: N815 - the Go tool's key
    policies: dict[str, Policy] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Group:
    __pydantic_config__ = FORBID_EXTRA

    applications: dict[str, Application] = field(default_factory=dict)
    policies: dict[str, Policy] = field(default_factory=dict)


@dataclass(frozen=True, kw_only=True)
class Registry:
    """How promotions talk to image registries (the ``registry:`` key)."""

    __pydantic_config__ = FORBID_EXTRA

    verify: bool = False  # check every promoted tag exists before a PR names it
    # hosts (host or host:port) reached over plain http; loopback always is
    insecure: Annotated[tuple[str, ...], Check(_hosts)] = ()


@dataclass(frozen=True)
class EnvLocation:
    """Where an environment's manifests live: a branch and a directory on it."""

    env: str
    branch: str
    path: str


@dataclass(frozen=True, kw_only=True)
class Config:
    __pydantic_config__ = FORBID_EXTRA

    prflow: Literal["per-app", "per-env"] = "per-app"
    environments: tuple[Environment, ...]
    # The Go tool read this integer as nanoseconds; we honour the name: a bare number is minutes.
    status_timeout_minutes: Annotated[int | float | str, Check(_duration)] = 5
    groups: dict[str, Group] = field(default_factory=dict)
    default_branch: str | None = None
    merge_method: Literal["merge", "squash", "rebase"] = "merge"
    delete_branch: bool = True
    registry: Registry = field(default_factory=Registry)
    allow_moving_tags: bool = False  # latest, main, stable ...: refused unless set (gitops_promotion/moving_tags)

    def __post_init__(self) -> None:
        if not self.environments:
            msg = "environments must list at least one environment"
            raise ValueError(msg)
        names = [e.name for e in self.environments]
        dupes = sorted({n for n in names if names.count(n) > 1})
        if dupes:
            msg = f"duplicate environment name(s): {', '.join(dupes)}"
            raise ValueError(msg)
        places: dict[tuple[str | None, str], str] = {}
        for env in self.environments:
            path = env.path or ("{group}" if env.branch else "{group}/" + env.name)
            place = (env.branch, path.replace("{env}", env.name).strip("/"))
            if place in places:
                where = f"branch {env.branch!r}" if env.branch else "the default branch"
                msg = f"environments {places[place]!r} and {env.name!r} both live on {where} at path {place[1]!r}"
                raise ValueError(msg)
            places[place] = env.name
        for group_name, group in self.groups.items():
            _check_policy_envs(f"groups.{group_name}", group.policies, names)
            for app_name, app in group.applications.items():
                _check_policy_envs(f"groups.{group_name}.applications.{app_name}", app.policies, names)
        self._check_policy_conflicts()

    def _check_policy_conflicts(self) -> None:
        """Overrides merged with their environment must not contradict: frozen + auto, a first env that
        requires a previous one."""
        places: list[tuple[str, str, str, str]] = [  # (where, env, group, app); "" = no group/app override
            (f"environments.{e.name}.policy", e.name, "", "") for e in self.environments
        ]
        for group_name, group in self.groups.items():
            places += [(f"groups.{group_name}.policies.{env}", env, group_name, "") for env in group.policies]
            for app_name, app in group.applications.items():
                places += [
                    (f"groups.{group_name}.applications.{app_name}.policies.{env}", env, group_name, app_name)
                    for env in app.policies
                ]
        for where, env_name, group_name, app_name in places:
            env = self.env(env_name)
            merged = self.policy(env_name, group_name, app_name)
            automated = merged.auto if merged.auto is not None else env.auto
            if merged.freeze and automated:
                msg = f"{where}: {env_name} would be frozen (freeze) and auto-merged (auto); choose one"
                raise ValueError(msg)
            if merged.require_previous and env_name == self.environments[0].name:
                msg = f"{where}: require_previous is set but {env_name} is the first environment"
                raise ValueError(msg)

    # -- domain helpers ------------------------------------------------------------------------------------
    @property
    def env_names(self) -> list[str]:
        return [e.name for e in self.environments]

    @property
    def status_timeout_seconds(self) -> float:
        return parse_duration(self.status_timeout_minutes, bare_unit="m")

    @property
    def first_env(self) -> Environment:
        return self.environments[0]

    def env(self, name: str) -> Environment:
        for env in self.environments:
            if env.name == name:
                return env
        msg = f"unknown environment {name!r}; {CONFIG_FILE} defines: {', '.join(self.env_names)}"
        raise ConfigError(msg)

    def next_env(self, name: str) -> Environment | None:
        index = self.env_names.index(self.env(name).name)
        return self.environments[index + 1] if index + 1 < len(self.environments) else None

    def previous_env(self, name: str) -> Environment | None:
        index = self.env_names.index(self.env(name).name)
        return self.environments[index - 1] if index > 0 else None

    def automated(self, env: str, group: str, app: str) -> bool:
        """Whether PRs into ``env`` auto-merge for ``group/app``: its policy's ``auto``, else the env's."""
        auto = self.policy(env, group, app).auto
        return self.env(env).auto if auto is None else auto

    def policy(self, env: str, group: str, app: str) -> Policy:
        """The environment's policy with the group's, then the app's overrides applied."""
        result = self.env(env).policy
        group_cfg = self.groups.get(group)
        if group_cfg is not None:
            result = result.merged(group_cfg.policies.get(env))
            app_cfg = group_cfg.applications.get(app)
            if app_cfg is not None:
                result = result.merged(app_cfg.policies.get(env))
        return result

    def application(self, group: str, app: str) -> Application | None:
        group_cfg = self.groups.get(group)
        return group_cfg.applications.get(app) if group_cfg else None

    def location(self, env: str, group: str, default_branch: str) -> EnvLocation:
        """Where ``env`` keeps ``group``'s manifests: its own branch or the default one, and a directory."""
        environment = self.env(env)
        if environment.path is not None:
            path = environment.path.format(group=group, env=env)
        elif environment.branch is not None:
            path = group
        else:
            path = f"{group}/{env}"
        return EnvLocation(env=env, branch=environment.branch or default_branch, path=path.strip("/"))

    @property
    def uses_env_branches(self) -> bool:
        return any(e.branch for e in self.environments)


def _check_policy_envs(where: str, policies: dict[str, Policy], names: list[str]) -> None:
    for env in policies:
        if env not in names:
            msg = f"{where}.policies names unknown environment {env!r}"
            raise ValueError(msg)


def load_config(path: Path) -> Config:
    """Read and validate ``path``; every error is one line naming the file, key path and line."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        msg = f"{path}: config file not found (create it with `gitops-promotion init`)"
        raise ConfigError(msg, file=str(path)) from None
    except (OSError, UnicodeDecodeError) as exc:
        msg = f"{path}: cannot read config: {exc}"
        raise ConfigError(msg, file=str(path)) from None
    try:
        data = YAML(typ="rt").load(text)
    except YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        where = f"{path}:{line}" if line else str(path)
        msg = f"{where}: invalid YAML: {getattr(exc, 'problem', None) or exc}"
        raise ConfigError(msg, file=str(path), line=line) from None
    if not isinstance(data, dict):
        msg = f"{path}: expected a mapping at the top level"
        raise ConfigError(msg, file=str(path), line=1)
    try:
        return parse_config(_plain(data))
    except Exception as exc:
        from pydantic import ValidationError  # loaded already: only pydantic raises it

        if not isinstance(exc, ValidationError):
            raise
        raise _config_error(path, data, exc) from None


def parse_config(data: Any) -> Config:
    """``data`` (plain YAML values) as a Config; raises pydantic's ValidationError when it is not one."""
    return build(Config, data)


_UNKNOWN_KEY = ("extra_forbidden", "unexpected_keyword_argument")  # pydantic's names for it (models, dataclasses)


def _config_error(path: Path, data: Any, exc: ValidationError) -> ConfigError:
    # An unknown key explains the "Field required" that a misspelling of it also causes: report it first.
    errors = exc.errors()
    error = next((e for e in errors if e["type"] in _UNKNOWN_KEY), errors[0])
    loc = [str(part) for part in error["loc"]]
    line = _line_of(data, error["loc"])
    key = ".".join(loc) or "(top level)"
    reason = error["msg"].removeprefix("Value error, ")
    if error["type"] in _UNKNOWN_KEY:
        reason = "unknown key" + _suggestion(error["loc"])
    elif error["type"] == "dataclass_type":  # worded as it was when the classes were pydantic models
        reason = f"Input should be a valid dictionary or instance of {error.get('ctx', {}).get('class_name', '')}"
    where = f"{path}:{line}" if line else str(path)
    return ConfigError(f"{where}: {key}: {reason}", file=str(path), line=line)


def _plain(node: Any) -> Any:
    if isinstance(node, dict):
        return {str(k): _plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [_plain(v) for v in node]
    return node


def _line_of(data: Any, loc: tuple[int | str, ...]) -> int | None:
    """The 1-based line of the deepest key in ``loc`` that exists in the round-trip document."""
    line: int | None = None
    node = data
    for part in loc:
        try:
            if isinstance(node, dict) and part in node:
                line = node.lc.key(part)[0] + 1  # type: ignore[attr-defined] # ruamel CommentedMap
                node = node[part]
            elif isinstance(node, list) and isinstance(part, int) and part < len(node):
                line = node.lc.item(part)[0] + 1  # type: ignore[attr-defined] # ruamel CommentedSeq
                node = node[part]
            else:
                break
        except (AttributeError, KeyError, TypeError):
            break
    return line


def _suggestion(loc: tuple[int | str, ...]) -> str:
    """``; did you mean 'environments'?`` for a misspelt key, from the keys the model has at that place."""
    import difflib

    known = _known_keys(Config, loc[:-1])
    close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f" (known keys: {', '.join(sorted(known))})" if known else ""


def _known_keys(cls: type, path: tuple[int | str, ...]) -> list[str]:
    """The field names (YAML keys) of the dataclass found by following ``path`` from ``cls``."""
    found = bare(annotation_at(cls, path))
    if isinstance(found, type) and dataclasses.is_dataclass(found):
        return [f.name for f in dataclasses.fields(found)]
    return []
