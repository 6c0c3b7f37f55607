"""The gitops-promotion.yaml `init` writes, and what it adds to one a person already wrote.

A hand-written config is never replaced: `init` only adds groups and applications it found in the layout,
through ruamel's round-trip mode so every comment, key order and key it does not know (``policy``, ``notify``,
``flux``...) stays. Environments are never added to an existing file: where a new one belongs in the promotion
order is for a person to say.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from gitops_promotion.errors import ConfigError

# Release tags only (1.2.3 or v1.2.3) reach the last environment: the README's example, and what the app
# workflow `init` writes produces.
SEMVER_TAGS = r"v?\d+\.\d+\.\d+"
# The config's own default (config.Config.status_timeout_minutes), written out so people see where to change it.
DEFAULT_TIMEOUT_MINUTES = 5


Labels = Mapping[tuple[str, str], Mapping[str, str]]  # (group, app) -> labels of the app's workload


def render_config(envs: tuple[str, ...], apps: Mapping[str, tuple[str, ...]], labels: Labels | None = None) -> str:
    """A fresh config: every environment but the last merges automatically; the last takes release tags."""
    lines = [
        "# Written by `gitops-promotion init`; every key is described in the README.",
        "# Environments in promotion order. `auto: true` merges a PR once its gate passes;",
        "# the last environment waits for a person to merge and only takes release tags.",
        "prflow: per-app",
        f"status_timeout_minutes: {DEFAULT_TIMEOUT_MINUTES} # how long `status` waits for Flux (the default)",
        "environments:",
    ]
    for index, env in enumerate(envs):
        last = index == len(envs) - 1
        lines += [f"  - name: {env}", f"    auto: {'false' if last else 'true'}"]
        if last:
            lines += ["    policy:", f"      allowed_tags: '{SEMVER_TAGS}' # only release tags reach {env}"]
    lines += render_groups(apps, labels or {})
    return "\n".join(lines) + "\n"


def render_groups(apps: Mapping[str, tuple[str, ...]], labels: Labels) -> list[str]:
    """The ``groups:`` block for the applications found; `feature` copies the objects with their labels."""
    if not any(apps.values()):
        return []
    lines = ["# Applications found by their image markers; `feature` needs them listed here.", "groups:"]
    for group, names in apps.items():
        if names:
            lines += [f"  {group}:", "    applications:"]
            lines += [f"      {app}: {_flow(_app_entry(labels.get((group, app))))}" for app in names]
    return lines


def _app_entry(labels: Mapping[str, str] | None) -> dict[str, Any]:
    return {"featureLabelSelector": dict(labels)} if labels else {}


def _flow(value: Any) -> str:
    """A one-line YAML flow mapping (JSON is valid YAML and quotes every key and value safely)."""
    import json

    return json.dumps(value, separators=(", ", ": ")) if value else "{}"


@dataclass(frozen=True)
class Additions:
    """What the layout has that an existing config does not list."""

    apps: dict[str, tuple[str, ...]]  # group -> applications to add
    envs: tuple[str, ...]  # environments found but not configured (reported, never added)

    def __bool__(self) -> bool:
        return bool(self.apps)


def additions(text: str, apps: Mapping[str, tuple[str, ...]], envs: tuple[str, ...], *, where: str) -> Additions:
    """The groups/applications and environments in the layout that the config in ``text`` lacks."""
    data = _load(text, where)
    groups = data.get("groups") or {}
    missing: dict[str, tuple[str, ...]] = {}
    for group, names in apps.items():
        known = ((groups.get(group) or {}).get("applications") or {}) if isinstance(groups, dict) else {}
        new = tuple(app for app in names if app not in known)
        if new:
            missing[group] = new
    configured = {str(e.get("name")) for e in data.get("environments") or [] if isinstance(e, dict)}
    return Additions(missing, tuple(env for env in envs if env not in configured))


def merge(text: str, add: Additions, labels: Labels, *, where: str) -> str:
    """``text`` with ``add.apps`` inserted under ``groups:``; comments and every other key kept."""
    data = _load(text, where)
    if "groups" not in data:
        # Nothing to re-lay out: append the block, every existing byte stays as it is.
        block = "\n".join(render_groups(add.apps, labels))
        return text + ("" if text.endswith("\n") or not text else "\n") + block + "\n"
    from ruamel.yaml.comments import CommentedMap

    yaml = _round_trip()
    yaml.indent(**_indents(text))
    data = yaml.load(text)
    groups = data["groups"]
    if groups is None:
        groups = data["groups"] = CommentedMap()
    for group, names in add.apps.items():
        entry = groups.setdefault(group, CommentedMap())
        applications = entry.setdefault("applications", CommentedMap())
        for app in names:
            applications[app] = _commented(_app_entry(labels.get((group, app))))
    out = io.StringIO()
    yaml.dump(data, out)
    return out.getvalue()


def _commented(value: dict[str, Any]) -> Any:
    """``value`` as ruamel nodes written in flow style, as `init` writes a fresh entry."""
    from ruamel.yaml.comments import CommentedMap

    node = CommentedMap()
    for key, item in value.items():
        node[key] = _commented(item) if isinstance(item, dict) else item
    node.fa.set_flow_style()
    return node


_TOP_KEY = re.compile(r"^[A-Za-z_][\w-]*:\s*(#.*)?$")
_DASH = re.compile(r"^( *)- ")
_KEY = re.compile(r"^( +)[A-Za-z_\"'][^:]*:")


def _indents(text: str) -> dict[str, int]:
    """The file's own indentation (mapping step, dash offset), so a rewrite keeps its look."""
    mapping, offset = 0, -1
    lines = [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    for index, line in enumerate(lines[:-1]):
        following = lines[index + 1]
        if offset < 0 and (dash := _DASH.match(following)):
            offset = len(dash.group(1))
        if not mapping and _TOP_KEY.match(line) and (key := _KEY.match(following)):
            mapping = len(key.group(1))
    mapping = mapping or 2
    offset = max(offset, 0) if offset >= 0 else 2
    return {"mapping": mapping, "sequence": offset + 2, "offset": offset}


def _round_trip() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()
    yaml.preserve_quotes = True
    yaml.width = 4096  # never re-wrap a person's long lines
    return yaml


def _load(text: str, where: str) -> dict[str, Any]:
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        data = _round_trip().load(text)
    except MarkedYAMLError as exc:
        line = exc.problem_mark.line + 1 if exc.problem_mark else 0
        msg = f"{where}:{line}: not valid YAML ({exc.problem}); fix it, then rerun init"
        raise ConfigError(msg, file=where, line=line) from None
    except YAMLError as exc:
        msg = f"{where}: not valid YAML ({exc}); fix it, then rerun init"
        raise ConfigError(msg, file=where) from None
    if not isinstance(data, dict):
        msg = f"{where}: expected a mapping at the top; fix it, then rerun init"
        raise ConfigError(msg, file=where)
    return data
