"""`feature-stale`: remove feature copies that have had no commit for ``max_age``, in one PR."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_promotion.commands.feature import changed, undo_on_error
from gitops_promotion.commands.opening import open_promotion
from gitops_promotion.context import Context
from gitops_promotion.durations import parse_duration
from gitops_promotion.errors import UsageError
from gitops_promotion.result import Result
from gitops_promotion.state import STALE_FEATURE_BRANCH, PromotionState

MAX_ROWS = 25

if TYPE_CHECKING:
    from gitops_promotion.features.stale import FeatureDir


def feature_stale(ctx: Context, *, max_age: float, now: Callable[[], float] = time.time) -> Result:
    """Open (or update) the ``remove/stale-feature`` PR deleting stale feature copies of configured apps."""
    from gitops_promotion.features.kustomize import kustomization_file
    from gitops_promotion.features.stale import find_feature_dirs, remove_feature_dir

    env = ctx.config.first_env.name
    locations = {group: ctx.location(env, group) for group in ctx.config.groups}
    repo = ctx.repo
    base = next(iter(locations.values())).branch if locations else ctx.default_branch
    repo.fetch(base)
    rev = repo.remote_ref(base)
    found: list[FeatureDir] = []
    for group, loc in locations.items():
        found += find_feature_dirs(repo, rev, loc.path, group, list(ctx.config.groups[group].applications))
    moment = now()
    stale = [f for f in found if moment - f.last_commit >= max_age]
    if not stale:
        message = (
            f"nothing to do: {len(found)} feature environment(s) in {env}, each changed within {_age(max_age)}"
            if found
            else f"nothing to do: no feature environment in {env}"
        )
        return Result(outcome="nothing-to-do", environment=env, message=message)
    state = PromotionState(group=stale[0].group, app="", tag="", env=env, type="stale")

    def write() -> Sequence[Path]:
        paths: list[Path] = []
        targets = [repo.root / f.path for f in stale]
        env_files = {kustomization_file(t.parent) for t in targets} - {None}
        with undo_on_error(repo, [*targets, *sorted(f for f in env_files if f is not None)]):
            for item in stale:
                paths += remove_feature_dir(repo.root, item)
        return changed(repo, paths)

    result = open_promotion(ctx, state, write=write, body=_body(state, stale, moment))
    verb = "would remove" if ctx.dry_run else "removed"
    lines = tuple(f"{verb} {f.path} ({f.group}/{f.app}, feature {f.feature})" for f in stale)
    data = {**result.data, "removed": [f.path for f in stale]}
    return replace(result, lines=(*lines, *result.lines), data=data)


def _body(state: PromotionState, stale: list[FeatureDir], moment: float) -> str:
    rows = []
    for item in stale[:MAX_ROWS]:
        last = datetime.fromtimestamp(item.last_commit, tz=timezone.utc)
        rows.append(
            f"| `{item.path}` | {item.group}/{item.app} | {item.feature} | "
            f"{last:%Y-%m-%d %H:%M} UTC ({_age(moment - last.timestamp())} ago) |"
        )
    if len(stale) > MAX_ROWS:  # Azure DevOps refuses descriptions over 4000 characters
        rows.append(f"| and {len(stale) - MAX_ROWS} more | | | see the commit |")
    table = "\n".join(["| Directory | App | Feature | Last commit |", "|---|---|---|---|", *rows])
    return (
        f"{state.metadata()}\n\nRemoves feature environments whose last commit is older than the max age, "
        f"with their entries in the environment's kustomization (branch `{STALE_FEATURE_BRANCH}`).\n\n"
        f"{table}\n\n_Opened by gitops-promotion._\n"
    )


def _age(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f}{unit}"
    return f"{seconds:.0f}s"


def parse_max_age(value: str) -> float:
    """``--max-age`` in seconds: ``7d``, ``168h``, ``1h30m`` (a unit is required, as the Go tool required)."""
    text = value.strip()
    if text.replace(".", "", 1).isdigit() and float(text) != 0:
        msg = f"--max-age {value!r} needs a unit, e.g. 7d or 168h"
        raise UsageError(msg)
    try:
        return parse_duration(text)
    except ValueError as exc:
        msg = f"--max-age: {exc}"
        raise UsageError(msg) from None
