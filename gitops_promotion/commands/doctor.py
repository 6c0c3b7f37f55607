"""`doctor`: check a GitOps repository and its forge settings; a checklist where every failure has a fix.

Blocking failures (exit 1) are the ones that stop promotions: an invalid config, a group without a directory
for an environment, an app whose marker is missing in an environment, an environment branch that does not
exist, forge settings that keep promotion PRs from merging. Warnings are printed but do not fail the run.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_promotion import guide
from gitops_promotion.commands.init import ACTION_PLACEHOLDER
from gitops_promotion.config import Config, load_config
from gitops_promotion.errors import PromotionError
from gitops_promotion.providers.base import GATE_CONTEXT, Check
from gitops_promotion.result import Result

if TYPE_CHECKING:
    from gitops_promotion.gitrepo import GitRepo
    from gitops_promotion.manifests import Marker

REQUIRED_CHECK = GATE_CONTEXT  # the commit status `status` and `reconcile` post: THE required check
_WORKFLOW_DIRS = (".github/workflows", "azure-pipelines", ".azure-pipelines")
_MARKER_FIX = 'add a marker such as  # {"$imagepolicy": "<group>:<app>"}  to the image line in <group>/<env>/'


def doctor(
    root: Path,
    *,
    config_path: Path,
    repo: GitRepo | None = None,
    provider_factory: Callable[[], object] | None = None,
    required_check: str = REQUIRED_CHECK,
) -> Result:
    """Run every check that applies; exit code 1 when a blocking one fails."""
    checks: list[Check] = []
    try:
        config = load_config(config_path)
    except PromotionError as error:
        checks.append(
            Check(
                "config valid",
                False,
                error.message,
                fix=f"fix {config_path.name} (or create one with `gitops-promotion init`)",
            )
        )
        return _result(checks)
    checks.append(Check("config valid", True, f"{config_path.name}: {', '.join(config.env_names)}"))
    default_branch = repo.default_branch(config.default_branch) if repo else (config.default_branch or "main")
    from gitops_promotion.manifests import scan_markers

    scanned: list[Marker] = scan_markers([root], repo_root=root)
    markers = _markers_by_env(root, config, default_branch, scanned)
    groups = sorted(set(config.groups) | {group for group, _app, _env in markers})
    checks.append(
        Check("image markers found", bool(markers), f"groups: {', '.join(groups) or 'none'}", fix=_MARKER_FIX)
    )
    checks.append(_env_dirs_check(root, config, groups, default_branch, repo))
    checks.append(_markers_check(config, markers, default_branch))
    checks.append(_marker_forms_check(root, scanned))
    checks.extend(_env_branch_checks(config, repo))
    checks.extend(_workflow_checks(root))
    if provider_factory is not None:
        branches = [default_branch, *(e.branch for e in config.environments if e.branch)]
        targets = _workflow_forges(root)
        checks.extend(_forge_checks(provider_factory, sorted(set(branches)), required_check, targets))
        if repo is not None:
            from gitops_promotion.commands.doctor_flux import flux_status_checks

            checks.extend(flux_status_checks(config, repo, provider_factory, default_branch, groups))
    return _result(checks)


def _markers_by_env(
    root: Path, config: Config, default_branch: str, markers: list[Marker]
) -> set[tuple[str, str, str]]:
    """(group, app, env) for every marker under an environment's directory on the checked-out tree."""
    found: set[tuple[str, str, str]] = set()
    envs = [e.name for e in config.environments if not e.branch]
    for marker in markers:
        rel = _relative(marker.path, root)
        for env in envs:
            prefix = config.location(env, marker.namespace, default_branch).path
            if rel == prefix or rel.startswith(prefix + "/"):
                found.add((marker.namespace, marker.name, env))
    return found


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).resolve().relative_to(root.resolve()).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _env_dirs_check(
    root: Path, config: Config, groups: Iterable[str], default_branch: str, repo: GitRepo | None
) -> Check:
    missing: list[str] = []
    for group in groups:
        for env in config.environments:
            location = config.location(env.name, group, default_branch)
            if env.branch is None:
                present = (root / location.path).is_dir()
            else:
                present = repo is None or _dir_on_branch(repo, location.branch, location.path)
            if not present:
                missing.append(location.path if env.branch is None else f"{location.branch}:{location.path}")
    detail = f"missing: {', '.join(missing)}" if missing else "every group has every environment"
    first = missing[0].split(":")[-1] if missing else ""
    return Check(
        "environment directories",
        not missing,
        detail,
        fix=f"create them with the group's manifests (e.g. mkdir -p {first})" if missing else "",
    )


def _dir_on_branch(repo: GitRepo, branch: str, path: str) -> bool:
    ref = repo.remote_ref(branch)
    if repo.rev(ref) is None:
        return False
    return bool(repo.git("ls-tree", "-d", "--name-only", ref, "--", path, check=False).strip())


def _markers_check(config: Config, markers: set[tuple[str, str, str]], default_branch: str) -> Check:
    envs = [e.name for e in config.environments if not e.branch]
    apps = sorted({(group, app) for group, app, _env in markers})
    missing = [
        f"{group}:{app} in {config.location(env, group, default_branch).path}"
        for group, app in apps
        for env in envs
        if (group, app, env) not in markers
    ]
    detail = f"missing: {'; '.join(missing)}" if missing else f"{len(apps)} app(s) marked everywhere"
    fix = "add the app's manifests and marker there, or its promotions stop there" if missing else ""
    return Check("every app has a marker in every environment", not missing, detail, fix=fix)


def _marker_forms_check(root: Path, markers: list[Marker]) -> Check:
    """Every ``:tag`` marker on a full image reference: a tag update would leave only the tag there."""
    from gitops_promotion.manifests.forms import wrong_forms

    wrong = [f"{_relative(m.path, root)}:{m.line} ({m.policy}:tag on {m.value!r})" for m in wrong_forms(markers)]
    return Check(
        "markers match their values",
        not wrong,
        f"a :tag marker on a full image reference: {'; '.join(wrong)}" if wrong else "every :tag marker holds a tag",
        fix='use the bare form {"$imagepolicy": "<group>:<app>"} on a full image reference' if wrong else "",
    )


def _env_branch_checks(config: Config, repo: GitRepo | None) -> list[Check]:
    checks = []
    wanted = [env.branch for env in config.environments if env.branch]
    heads: dict[str, str] = {}
    problem = ""
    try:
        heads = repo.remote_heads(wanted) if repo is not None and wanted else {}  # one ls-remote for all
    except PromotionError as error:
        problem = error.message
    for env in config.environments:
        if env.branch is None:
            continue
        exists = env.branch in heads
        detail = problem or f"{env.name} deploys from {env.branch}"
        fix = f"create it from the default branch: git push origin HEAD:refs/heads/{env.branch}"
        checks.append(Check(f"environment branch {env.branch} exists", exists, detail, fix=fix))
    return checks


def _workflow_checks(root: Path) -> list[Check]:
    files = [p for d in _WORKFLOW_DIRS if (root / d).is_dir() for p in sorted((root / d).rglob("*.y*ml"))]
    using = [p for p in files if "gitops-promotion" in p.read_text(encoding="utf-8", errors="replace")]
    if not using:
        fix = "write them with `gitops-promotion init` (or copy examples/workflows/)"
        return [
            Check(
                "CI pipelines run gitops-promotion",
                False,
                "no workflow or pipeline mentions it",
                fix=fix,
                blocking=False,
            )
        ]
    from gitops_promotion import __version__, home

    unpinned = [_relative(p, root) for p in using if ACTION_PLACEHOLDER in p.read_text(encoding="utf-8")]
    checks = [
        Check(
            "workflows pin the gitops-promotion action",
            not unpinned,
            f"placeholder reference in {', '.join(unpinned)}" if unpinned else f"{len(using)} file(s)",
            fix=f"use {home.ACTION_REF}, or better {home.REPOSITORY}@<commit SHA of the release>",
        )
    ]
    checks.append(_schedule_check(root, using))
    moving = sorted(
        {
            f"{_relative(p, root)} ({ref})"
            for p in using
            for ref in _ACTION_USES.findall(p.read_text(encoding="utf-8", errors="replace"))
            if not _COMMIT.match(ref.rpartition("@")[2])
        }
    )
    if moving:
        checks.append(
            Check(
                "the gitops-promotion action is pinned by commit SHA",
                False,
                f"a tag, which moves with each release, in {', '.join(moving)}",
                fix=f"pin the release you tested: uses: {home.REPOSITORY}@<its commit SHA> # v{__version__}",
                blocking=False,
            )
        )
    github = [p for p in using if p.is_relative_to(root / ".github")]
    if github:
        weak = [f"{_relative(p, root)} ({action})" for p in github for action in _workflow_token_steps(p)]
        checks.append(
            Check(
                "promotions use a token that triggers workflows",
                not weak,
                f"GITHUB_TOKEN in {', '.join(weak)}" if weak else "GitHub App or personal token",
                fix=_USE_AN_APP,
            )
        )
    return checks


def _schedule_check(root: Path, using: list[Path]) -> Check:
    """A scheduled `reconcile` is what heals lost promote runs and turns waiting gates green (issue 13)."""
    scheduled = [p for p in using if _runs_reconcile_on_schedule(p.read_text(encoding="utf-8", errors="replace"))]
    return Check(
        "a scheduled reconcile heals lost promotions",
        bool(scheduled),
        ", ".join(_relative(p, root) for p in scheduled) if scheduled else "no workflow runs `reconcile` on a schedule",
        fix="add the reconcile workflow: `gitops-promotion init`, or copy gitops-promotion-reconcile.yml from "
        "examples/workflows/",
    )


def _runs_reconcile_on_schedule(text: str) -> bool:
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        data = YAML(typ="safe").load(text)
    except YAMLError:
        return False
    if not isinstance(data, dict):
        return False
    # GitHub: `on: schedule`; Azure Pipelines: top-level `schedules`. YAML 1.1 readers may turn `on` into True.
    triggers = data.get("on", data.get(True))
    scheduled = bool(data.get("schedules")) or (isinstance(triggers, dict) and bool(triggers.get("schedule")))
    return scheduled and "reconcile" in text


# `uses: OWNER/<...gitops-promotion...>@REF` in a workflow (a fork keeps the name in its path).
_ACTION_USES = re.compile(r"uses:\s*[\"']?([\w.-]+/[\w.-]*gitops-promotion[\w./-]*@[^\s\"'#]+)")
_COMMIT = re.compile(r"^[0-9a-f]{40}$")

# Steps that open or merge PRs must not use GITHUB_TOKEN: GitHub starts no workflow for its events.
_WRITING_ACTIONS = {"new", "promote", "reconcile", "feature", "release"}
_USE_AN_APP = (
    "mint a GitHub App token (actions/create-github-app-token) and pass it as `token`, or set "
    "github-app-id and github-app-private-key"
)


def _workflow_token_steps(path: Path) -> list[str]:
    """The `action` of each gitops-promotion step in a workflow that writes with the workflow's own token."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        workflow = YAML(typ="safe").load(path.read_text(encoding="utf-8"))
    except YAMLError:
        return []
    jobs = workflow.get("jobs") if isinstance(workflow, dict) else None
    found = []
    for job in (jobs or {}).values():
        for step in (job.get("steps") or []) if isinstance(job, dict) else []:
            if not isinstance(step, dict) or "gitops-promotion" not in str(step.get("uses", "")):
                continue
            inputs = step.get("with") or {}
            token = str(inputs.get("token", "${{ github.token }}"))
            uses_workflow_token = "github.token" in token or "secrets.GITHUB_TOKEN" in token
            if inputs.get("action") in _WRITING_ACTIONS and uses_workflow_token and not inputs.get("github-app-id"):
                found.append(str(inputs["action"]))
    return found


# The forge each CI directory's pipelines run on: its settings are what promotions depend on.
_FORGE_OF_DIR = {".github": "GitHub", "azure-pipelines": "Azure DevOps", ".azure-pipelines": "Azure DevOps"}
_PROVIDER_FLAG = {"GitHub": "github", "Azure DevOps": "azdo"}


def _workflow_forges(root: Path) -> list[str]:
    """The forges the repository's pipelines that run gitops-promotion target (GitHub, Azure DevOps)."""
    found = []
    for directory, forge in _FORGE_OF_DIR.items():
        files = sorted((root / directory).rglob("*.y*ml")) if (root / directory).is_dir() else []
        if any("gitops-promotion" in p.read_text(encoding="utf-8", errors="replace") for p in files):
            found.append(forge)
    return sorted(set(found))


def _forge_checks(
    factory: Callable[[], object], branches: list[str], required_check: str, targets: list[str]
) -> list[Check]:
    try:
        provider = factory()
    except PromotionError as error:
        fix = "pass --provider and --token (or --skip-forge)"
        return [Check("forge reachable", False, error.message, fix=fix)]
    settings_checks: Any = getattr(provider, "settings_checks", None)
    if settings_checks is None:
        name = getattr(provider, "name", type(provider).__name__)
        if not targets:
            return [Check("forge settings", True, f"provider {name} has no settings to check", blocking=False)]
        # The pipelines run on a forge this provider cannot see: its settings are unknown, not fine.
        flags = " or ".join(f"--provider {_PROVIDER_FLAG[t]}" for t in targets)
        return [
            Check(
                "forge settings",
                False,
                f"not checked: the pipelines target {' and '.join(targets)}, but the provider is {name} "
                "(the remote is a local path or unknown)",
                fix=f"rerun where the real remote is, or pass {flags} with --token (and --api-url if needed)",
                blocking=False,
            )
        ]
    try:
        result: list[Check] = settings_checks(base_branches=branches, required_check=required_check)
    except PromotionError as error:
        # The message carries the fix for its kind; a network or token error is not a missing permission.
        fix = {
            "network": "fix the network or the API URL, then rerun (or --skip-forge)",
            "auth": "pass a valid token (or --skip-forge)",
            "transient": "rerun later (or --skip-forge)",
        }.get(getattr(error, "kind", ""), "give the token read access to the repository settings (or --skip-forge)")
        return [Check("forge settings readable", False, error.message, fix=fix)]
    return result


def _result(checks: list[Check]) -> Result:
    lines: list[str] = []
    for check in checks:
        mark = "ok" if check.ok else ("FAIL" if check.blocking else "warn")
        lines.append(f"[{mark:>4}] {check.name}" + (f": {check.detail}" if check.detail else ""))
        if not check.ok and check.fix:
            lines.append(f"       fix: {check.fix}")
        if not check.ok:
            lines.append(f"       see: {guide.link(guide.section_for(check.name))}")
    blocking = [c for c in checks if not c.ok and c.blocking]
    warnings = [c for c in checks if not c.ok and not c.blocking]
    if blocking:
        message = f"doctor: {len(blocking)} problem(s) block promotions ({len(warnings)} warning(s))"
    else:
        message = f"doctor: ready to promote ({len(checks)} checks, {len(warnings)} warning(s))"
    summary = "\n".join(
        ["| check | result | detail | fix |", "|---|---|---|---|"]
        + [
            f"| {_cell(c.name)} | {'✅' if c.ok else ('❌' if c.blocking else '⚠️')} | {_cell(c.detail)} | "
            f"{_cell(c.fix if not c.ok else '')} |"
            for c in checks
        ]
    )
    return Result(
        outcome="done",
        message=message,
        lines=tuple(lines),
        summary_md=summary,
        data={"checks": [dataclasses.asdict(c) for c in checks]},
        exit_code=1 if blocking else 0,
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
