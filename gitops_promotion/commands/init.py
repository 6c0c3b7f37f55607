"""`init`: write gitops-promotion.yaml and the CI pipelines into a GitOps repo, inferred from its layout.

The layout Flux users keep is ``<group>/<env>/...``; a directory name that appears under several top-level
directories (or a well-known environment name) is an environment, and a top-level directory holding
environments is a group. `init` works with what is there: a file that exists is kept (``force`` rewrites the
pipelines), and an existing gitops-promotion.yaml is never replaced, only completed (init_config).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path

from gitops_promotion import __version__, home
from gitops_promotion.checks import GATE_CONTEXT
from gitops_promotion.commands import init_config
from gitops_promotion.commands.app_repo import Platform, app_target, check_tag_scheme, trigger_command
from gitops_promotion.commands.init_config import render_config
from gitops_promotion.config import CONFIG_FILE
from gitops_promotion.errors import PromotionError, UsageError
from gitops_promotion.home import REPOSITORY
from gitops_promotion.result import Result

# What workflows written before the project's first release carried; doctor still flags it.
ACTION_PLACEHOLDER = f"{REPOSITORY}@0000000000000000000000000000000000000000"
# OWNER/REPO[/path]@REF, REF a commit SHA or a tag.
_ACTION_REF = re.compile(r"^[\w.-]+/[\w.-]+(/[\w./-]+)?@(?P<ref>[\w.][\w./-]*)$", re.ASCII)
_SHA = re.compile(r"^[0-9a-f]{40}$")

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

# Where the Azure steps template lands; application pipelines reference it as <this path>@<repository alias>.
STEPS_TEMPLATE = "azure-pipelines/templates/gitops-promotion.yml"
# template file (package data) -> destination in the GitOps repository
TARGETS: dict[Platform, dict[str, str]] = {
    "github": {
        "github-new.yml": ".github/workflows/gitops-promotion-new.yml",
        "github-promote.yml": ".github/workflows/gitops-promotion-promote.yml",
        "github-status.yml": ".github/workflows/gitops-promotion-status.yml",
        "github-reconcile.yml": ".github/workflows/gitops-promotion-reconcile.yml",
    },
    "azure": {
        "azure-new.yml": "azure-pipelines/gitops-promotion-new.yml",
        "azure-promote.yml": "azure-pipelines/gitops-promotion-promote.yml",
        "azure-status.yml": "azure-pipelines/gitops-promotion-status.yml",
        "azure-reconcile.yml": "azure-pipelines/gitops-promotion-reconcile.yml",
        "azure-steps.yml": STEPS_TEMPLATE,
    },
    "gitlab": {"gitlab-promotion.yml": ".gitlab/ci/gitops-promotion.yml"},
    "gitea": {
        f"gitea-{c}.yml": f".gitea/workflows/gitops-promotion-{c}.yml"
        for c in ("new", "promote", "status", "reconcile")
    },
}


@dataclass(frozen=True)
class Layout:
    groups: tuple[str, ...]
    envs: tuple[str, ...]
    apps: dict[str, tuple[str, ...]] = field(default_factory=dict)  # group -> applications with a marker
    labels: dict[tuple[str, str], dict[str, str]] = field(default_factory=dict)  # (group, app) -> its workload's


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

    from gitops_promotion.commands.flux_detect import is_flux_only

    # clusters/<env>/ holds Flux's own objects, not a group's manifests (issue 12)
    groups = tuple(g for g, names in children.items() if any(is_env(n) for n in names) and not is_flux_only(root / g))
    envs = {n for g in groups for n in children[g] if is_env(n)}
    return Layout(groups=groups, envs=order_envs(envs))


def order_envs(names: set[str] | list[str]) -> tuple[str, ...]:
    """Known names in their usual promotion order first (dev before qa before prod), then the rest."""
    rank = {name: i for i, name in enumerate(_ENV_ORDER)}
    return tuple(sorted(set(names), key=lambda n: (rank.get(n, len(rank)), n)))


def render_template(name: str, *, default_branch: str, action_ref: str | None, version: str) -> str:
    """A shipped pipeline template with the repository's branch, the action pin and the package version."""
    source = resources.files("gitops_promotion").joinpath("templates").joinpath(name)
    text = source.read_text(encoding="utf-8")
    text = text.replace("branches: [main]", f"branches: [{default_branch}]")
    text = text.replace("include: [main]", f"include: [{default_branch}]")
    text = text.replace("ref: refs/heads/main", f"ref: refs/heads/{default_branch}")
    text = text.replace("__VERSION__", version).replace("__RELEASES__", home.RELEASES)
    return text.replace("__ACTION_REF__", action_ref or default_action_line())


def default_action_line() -> str:
    """The `uses:` value written when no --action-ref is given: the moving major tag, and why to pin instead."""
    return (
        f"{home.ACTION_REF} # v{home.MAJOR} follows every {home.MAJOR}.x release;"
        " pin a release's commit SHA to run the same code every time"
    )


def detect(root: Path) -> Layout:
    """The layout and the applications whose markers sit under a group's environments.

    One place learns the repository; detectors of other layouts (Flux Kustomizations) are called from here.
    """
    from gitops_promotion.commands.app_labels import workload_labels
    from gitops_promotion.manifests import scan_markers

    layout = infer_layout(root)
    found: dict[str, set[str]] = {group: set() for group in layout.groups}
    labels: dict[tuple[str, str], dict[str, str]] = {}
    tops = [root / group for group in layout.groups]
    for marker in scan_markers(tops, repo_root=root) if tops else []:
        parts = Path(marker.path).resolve().relative_to(root.resolve()).parts
        if len(parts) > 2 and parts[1] in layout.envs and marker.namespace in found:
            found[marker.namespace].add(marker.name)
            key = (marker.namespace, marker.name)
            labels[key] = labels.get(key) or workload_labels(Path(marker.path), marker.line)
    apps = {group: tuple(sorted(names)) for group, names in found.items() if names}
    return replace(layout, apps=apps, labels={key: value for key, value in labels.items() if value})


def check_action_ref(action_ref: str | None) -> list[str]:
    """Refuse what is not OWNER/REPO@REF; warn when REF is a tag or branch rather than a commit SHA."""
    if action_ref is None:
        return []
    match = _ACTION_REF.match(action_ref)
    if match is None:
        msg = f"--action-ref {action_ref!r} must be OWNER/REPO@<commit SHA or tag>, e.g. {REPOSITORY}@<SHA>"
        raise UsageError(msg)
    ref = match["ref"]
    if _SHA.match(ref):
        return []
    repo = action_ref.split("@", 1)[0]
    return [
        f"warning: --action-ref pins {ref!r}, which can be moved to other code; a commit SHA is safer: "
        f"git ls-remote https://github.com/{repo} {ref}"
    ]


def init(
    root: Path,
    *,
    platform: Platform = "github",
    envs: tuple[str, ...] = (),
    default_branch: str = "main",
    action_ref: str | None = None,
    force: bool = False,
    version: str = __version__,
    app_repo: Path | None = None,
) -> Result:
    """Write what is missing for ``platform`` into ``root``; keep what exists (``force`` rewrites pipelines)."""
    warnings = check_action_ref(action_ref)
    if app_repo is not None and not app_repo.is_dir():
        msg = f"--app-repo {app_repo}: no such directory (give the application repository's checkout, or - to print)"
        raise UsageError(msg)
    layout = detect(root)
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
    lines = _write_config(root, chosen, layout, force=force)
    written = [CONFIG_FILE] if lines[0].startswith(("wrote ", "added ")) else []
    for template, destination in TARGETS[platform].items():
        text = render_template(template, default_branch=default_branch, action_ref=action_ref, version=version)
        lines.append(_write(root, destination, text, force=force))
        written += [destination] if lines[-1].startswith(("wrote ", "overwrote ")) else []
    if app_repo is not None:
        template, destination = app_target(platform)
        text = render_template(template, default_branch=default_branch, action_ref=action_ref, version=version)
        lines.append(_write(app_repo, destination, text, force=force, label=f"{app_repo}/"))
        written += [str(app_repo / destination)] if lines[-1].startswith(("wrote ", "overwrote ")) else []
        lines += _app_settings(platform, text, app_repo)
    warnings += _tag_scheme_warnings(root)
    lines += warnings + _next_steps(platform, layout, chosen, action_ref, default_branch)
    lines.append(
        "Flux side: `gitops-promotion init --flux-manifests write` adds a Provider and Alert per cluster so Flux "
        "posts commit statuses; list each cluster's Provider (first UID segment) in environments[].flux.providers"
    )
    verb = "initialized" if written else "nothing to write:"
    message = f"{verb} {platform} promotion for {', '.join(chosen)}; next: gitops-promotion doctor"
    return Result(
        outcome="changed" if written else "nothing-to-do",
        message=message,
        lines=tuple(lines),
        data={
            "files": written,
            "groups": list(layout.groups),
            "applications": {group: list(apps) for group, apps in layout.apps.items()},
            "environments": list(chosen),
            "warnings": warnings,
        },
    )


def _with_flux(root: Path, layout: Layout, envs: tuple[str, ...], text: str) -> str:
    """The config with a ``flux:`` block for each environment whose Flux Kustomization the repository holds."""
    from gitops_promotion.commands.flux_detect import add_flux_blocks, detect_flux_blocks

    return add_flux_blocks(text, detect_flux_blocks(root, layout.groups, envs))


def app_workflow(platform: Platform, *, default_branch: str = "main") -> str:
    """The application repository's workflow (GitHub) or pipeline (Azure), as `init --app-repo -` prints it."""
    template, _ = app_target(platform)
    return render_template(template, default_branch=default_branch, action_ref=None, version=__version__)


def _write_config(root: Path, envs: tuple[str, ...], layout: Layout, *, force: bool) -> list[str]:
    path = root / CONFIG_FILE
    if not path.exists():
        _atomic_write(path, _with_flux(root, layout, envs, render_config(envs, layout.apps, layout.labels)))
        return [f"wrote {CONFIG_FILE}"]
    text = path.read_text(encoding="utf-8")
    add = init_config.additions(text, layout.apps, envs, where=CONFIG_FILE)
    lines = [
        f"note: environment {env!r} is in the layout but not in {CONFIG_FILE}; add it where it belongs "
        "in the promotion order"
        for env in add.envs
    ]
    if not add:
        return [f"kept {CONFIG_FILE} (it lists every application found)", *lines]
    if force:
        _atomic_write(path, init_config.merge(text, add, layout.labels, where=CONFIG_FILE))
        names = ", ".join(f"{g}/{a}" for g, apps in add.apps.items() for a in apps)
        return [f"added {CONFIG_FILE} groups: {names} (every other key and comment kept)", *lines]
    snippet = [f"  {line}" for line in init_config.render_groups(add.apps, layout.labels) if not line.startswith("#")]
    return [
        f"kept {CONFIG_FILE}; it would add (rerun with --force to merge them in, keeping everything else):",
        *snippet,
        *lines,
    ]


def _write(root: Path, name: str, text: str, *, force: bool, label: str = "") -> str:
    path = root / name
    if path.exists():
        if path.read_text(encoding="utf-8") == text:
            return f"kept {label}{name} (up to date)"
        if not force:
            return f"kept {label}{name} (already there and different; --force rewrites it)"
        _atomic_write(path, text)
        return f"overwrote {label}{name}"
    _atomic_write(path, text)
    return f"wrote {label}{name}"


def _app_settings(platform: Platform, workflow: str, app_repo: Path) -> list[str]:
    """What the app workflow reads from its repository's settings, named from the workflow itself."""
    if platform == "azure":
        return [f"in {app_repo}/azure-pipelines/app-pipeline.yml set the GitOps repository and the group and app"]
    body = workflow.split("\nname:", 1)[-1]  # past the header comment, which documents them
    names = sorted(set(re.findall(r"\b(?:vars|secrets)\.[A-Z_]+", body)))
    return [f"set in the application repository's Actions settings: {', '.join(names)}"]


def _atomic_write(path: Path, text: str) -> None:
    """Never a half-written file: write beside it, then rename over it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)


def _tag_scheme_warnings(root: Path) -> list[str]:
    from gitops_promotion.config import load_config

    try:
        config = load_config(root / CONFIG_FILE)
    except PromotionError as error:
        return [f"warning: {error.message} (doctor reports it too)"]
    return check_tag_scheme(config)


_FORGE_STEPS: dict[str, list[str]] = {
    "gitlab": [
        "include the jobs from .gitlab-ci.yml: include: [{local: /.gitlab/ci/gitops-promotion.yml}]",
        "create a project access token (Developer, scopes api and write_repository) and store it as the masked "
        "CI/CD variable GITLAB_TOKEN; CI_JOB_TOKEN cannot push or open merge requests",
        "enable Settings > Merge requests > 'Pipelines must succeed', and add a pipeline schedule for reconcile",
    ],
    "gitea": [
        "pin the action in .gitea/workflows/ (replace the placeholder SHA), and store a token with "
        "write:repository scope as the secret GITOPS_PROMOTION_TOKEN",
        "protect the default branch with the required status check 'gitops-promotion/gate'",
    ],
}


def _next_steps(
    platform: Platform, layout: Layout, envs: tuple[str, ...], action_ref: str | None, branch: str
) -> list[str]:
    group, app = next(((g, apps[0]) for g, apps in layout.apps.items()), ("<group>", "<app>"))
    found = ", ".join(f"{g} ({', '.join(a)})" for g, a in layout.apps.items()) or ", ".join(layout.groups)
    out = [f"groups found: {found or '(none yet)'}; environments: {', '.join(envs)}"]
    if platform in _FORGE_STEPS:
        out.extend(_FORGE_STEPS[platform])
    elif platform == "github":
        if action_ref is None:
            out.append(
                f"the workflows use {home.ACTION_REF}; to run the same code every time, pin the release's commit: "
                f"rerun with --action-ref {home.REPOSITORY}@<commit SHA> --force"
            )
        out += [
            "create a GitHub App (Contents, Pull requests and Commit statuses read/write), "
            "install it on this repository, and set the variable GITOPS_PROMOTION_APP_CLIENT_ID "
            "and the secret GITOPS_PROMOTION_APP_PRIVATE_KEY",
            f"allow auto-merge, and protect {branch} requiring the status check '{GATE_CONTEXT}' (posted by "
            "`status` and the scheduled `reconcile`; GitHub lists it only after it was posted once)",
        ]
    else:
        out += [
            f"az pipelines create --name {name} --yml-path azure-pipelines/{name}.yml --skip-first-run true"
            for name in ("gitops-promotion-new", "gitops-promotion-promote", "gitops-promotion-status")
        ]
        out.append(
            "create pipelines from azure-pipelines/*.yml (gitops-promotion-reconcile runs on a schedule), "
            f"require the status {GATE_CONTEXT} (a Status check policy) or the gitops-promotion-status build "
            f"validation on {branch}, and give the build service Contribute, Create branch, Force push and "
            "Contribute to pull requests on this repository"
        )
    out += [
        "the application repository: gitops-promotion init --app-repo PATH writes its workflow (--app-repo - "
        "prints it)",
        f"first promotion, by hand: {trigger_command(platform, group=group, app=app)}",
    ]
    return out
