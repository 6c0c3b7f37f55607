"""`init`: write gitops-promotion.yaml and the CI pipelines into a GitOps repo, inferred from its layout.

The layout Flux users keep is ``<group>/<env>/...``; a directory name that appears under several top-level
directories (or a well-known environment name) is an environment, and a top-level directory holding
environments is a group. Nothing is overwritten without ``force``; nothing at all is written when any target
exists, so a refused run leaves the repository as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Literal

from gitops_promotion import __version__, home
from gitops_promotion.config import CONFIG_FILE
from gitops_promotion.errors import UsageError
from gitops_promotion.result import Result

Platform = Literal["github", "azure"]

# What workflows written before the project's first release carried; doctor still flags it.
ACTION_PLACEHOLDER = "gitops-promotion/gitops-promotion@0000000000000000000000000000000000000000"
_ACTION_REF = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+(/[A-Za-z0-9_./-]+)?@[0-9a-f]{40}$")

# Usual environment names in promotion order; anything else sorts after them, alphabetically.
_ENV_ORDER = [
    "local",
    "dev",
    "development",
    "int",
    "integration",
    "test",
    "testing",
    "qa",
    "uat",
    "stage",
    "staging",
    "preprod",
    "pre-prod",
    "prod",
    "production",
]
_IGNORED_TOP = {"docs", "doc", "scripts", "hack", "bin", "tests", "test", "examples", "azure-pipelines"}
_DNS_LABEL = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")

# template file (package data) -> destination in the GitOps repository
TARGETS: dict[Platform, dict[str, str]] = {
    "github": {
        "github-new.yml": ".github/workflows/gitops-promotion-new.yml",
        "github-promote.yml": ".github/workflows/gitops-promotion-promote.yml",
        "github-status.yml": ".github/workflows/gitops-promotion-status.yml",
    },
    "azure": {
        "azure-new.yml": "azure-pipelines/gitops-promotion-new.yml",
        "azure-promote.yml": "azure-pipelines/gitops-promotion-promote.yml",
        "azure-status.yml": "azure-pipelines/gitops-promotion-status.yml",
        "azure-steps.yml": "azure-pipelines/templates/gitops-promotion.yml",
    },
}


@dataclass(frozen=True)
class Layout:
    groups: tuple[str, ...]
    envs: tuple[str, ...]


def infer_layout(root: Path) -> Layout:
    """Groups and environments (in promotion order) from a ``<group>/<env>/`` directory tree."""
    children: dict[str, set[str]] = {}
    for top in sorted(p for p in root.iterdir() if p.is_dir()):
        if top.name.startswith(".") or top.name in _IGNORED_TOP:
            continue
        children[top.name] = {p.name for p in top.iterdir() if p.is_dir() and not p.name.startswith(".")}
    counts: dict[str, int] = {}
    for names in children.values():
        for name in names:
            counts[name] = counts.get(name, 0) + 1
    several = len(children) > 1

    def is_env(name: str) -> bool:
        known = name in _ENV_ORDER
        return bool(_DNS_LABEL.match(name)) and (known or not several or counts[name] > 1)

    groups = tuple(g for g, names in children.items() if any(is_env(n) for n in names))
    envs = {n for g in groups for n in children[g] if is_env(n)}
    return Layout(groups=groups, envs=order_envs(envs))


def order_envs(names: set[str] | list[str]) -> tuple[str, ...]:
    """Known names in their usual promotion order first (dev before qa before prod), then the rest."""
    rank = {name: i for i, name in enumerate(_ENV_ORDER)}
    return tuple(sorted(set(names), key=lambda n: (rank.get(n, len(rank)), n)))


def render_config(envs: tuple[str, ...]) -> str:
    """gitops-promotion.yaml: every environment but the last merges automatically once its gate passes."""
    lines = [
        "# Environments in promotion order. `auto: true` merges a PR once its gate passes;",
        "# the last environment waits for a person to merge.",
        "prflow: per-app",
        "status_timeout_minutes: 5",
        "environments:",
    ]
    for index, env in enumerate(envs):
        auto = "true" if index < len(envs) - 1 else "false"
        lines += [f"  - name: {env}", f"    auto: {auto}"]
    return "\n".join(lines) + "\n"


def render_template(name: str, *, default_branch: str, action_ref: str | None, version: str) -> str:
    """A shipped pipeline template with the repository's branch, the action pin and the package version."""
    source = resources.files("gitops_promotion").joinpath("templates").joinpath(name)
    text = source.read_text(encoding="utf-8")
    text = text.replace("branches: [main]", f"branches: [{default_branch}]")
    text = text.replace("include: [main]", f"include: [{default_branch}]")
    text = text.replace("__VERSION__", version).replace("__RELEASES__", home.RELEASES)
    return text.replace("__ACTION_REF__", action_ref or default_action_line())


def default_action_line() -> str:
    """The `uses:` value written when no --action-ref is given: the moving major tag, and why to pin instead."""
    return (
        f"{home.ACTION_REF} # v{home.MAJOR} follows every {home.MAJOR}.x release;"
        " pin a release's commit SHA to run the same code every time"
    )


def init(
    root: Path,
    *,
    platform: Platform = "github",
    envs: tuple[str, ...] = (),
    default_branch: str = "main",
    action_ref: str | None = None,
    force: bool = False,
    version: str = __version__,
) -> Result:
    """Write the config and pipelines for ``platform`` into ``root``; never overwrite without ``force``."""
    if action_ref is not None and not _ACTION_REF.match(action_ref):
        msg = f"--action-ref {action_ref!r} must be OWNER/REPO@<40-hex commit SHA> (pinned by SHA)"
        raise UsageError(msg)
    layout = infer_layout(root)
    chosen = tuple(envs) or layout.envs
    if not chosen:
        msg = (
            f"{root}: found no <group>/<env>/ directories to infer environments from; "
            "pass them with --env dev --env prod"
        )
        raise UsageError(msg)
    for env in chosen:
        if not _DNS_LABEL.match(env):
            msg = f"--env {env!r} must be a DNS label (lowercase letters, digits, '-')"
            raise UsageError(msg)
    files = {CONFIG_FILE: render_config(chosen)}
    for template, destination in TARGETS[platform].items():
        files[destination] = render_template(
            template, default_branch=default_branch, action_ref=action_ref, version=version
        )
    existing = [name for name in files if (root / name).exists()]
    if existing and not force:
        msg = f"{', '.join(existing)}: already there; nothing written (use --force to overwrite)"
        raise UsageError(msg, file=str(root / existing[0]))
    lines = []
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        state = "overwrote" if path.exists() else "wrote"
        path.write_text(text, encoding="utf-8")
        lines.append(f"{state} {name}")
    lines += _next_steps(platform, layout, chosen, action_ref)
    message = f"initialized {platform} promotion for {', '.join(chosen)}; next: gitops-promotion doctor"
    return Result(
        outcome="changed",
        message=message,
        lines=tuple(lines),
        data={"files": list(files), "groups": list(layout.groups), "environments": list(chosen)},
    )


def _next_steps(platform: Platform, layout: Layout, envs: tuple[str, ...], action_ref: str | None) -> list[str]:
    out = [f"groups found: {', '.join(layout.groups) or '(none yet)'}; environments: {', '.join(envs)}"]
    if platform == "github":
        if action_ref is None:
            out.append(
                f"the workflows use {home.ACTION_REF}; to run the same code every time, pin the release's commit: "
                f"rerun with --action-ref {home.REPOSITORY}@<commit SHA> --force"
            )
        out.append(
            "create a GitHub App (Contents and Pull requests read/write, Commit statuses read), "
            "install it on this repository, and set the variable GITOPS_PROMOTION_APP_CLIENT_ID "
            "and the secret GITOPS_PROMOTION_APP_PRIVATE_KEY"
        )
        out.append(
            "require the check 'gitops-promotion status' in the default branch's protection and allow auto-merge"
        )
    else:
        out.append(
            "create pipelines from azure-pipelines/*.yml, add gitops-promotion-status as a required "
            "build validation policy on the default branch, and give the build service Contribute, "
            "Create branch and Contribute to pull requests on this repository"
        )
    return out
