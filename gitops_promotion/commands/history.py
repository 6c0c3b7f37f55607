"""`history`: every change of one app's image in each environment, from git log, with PRs and authors."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from gitops_promotion.context import Context
from gitops_promotion.errors import PromotionError, UsageError
from gitops_promotion.history.inventory import collect
from gitops_promotion.history.timeline import Change
from gitops_promotion.names import validate_name
from gitops_promotion.result import Result

LOOKUPS = 20  # PRs read from the forge (merged by, URL): the newest ones, bounded to keep API calls few


def history(
    ctx: Context,
    *,
    group: str,
    app: str,
    env: str | None = None,
    offline: bool = False,
    lookups: int = LOOKUPS,
    fetch: bool = True,
    clock: Callable[[], float] = time.time,
) -> Result:
    """Changes newest first; PR numbers from merge/squash subjects, mergers from the forge when reachable."""
    from gitops_promotion.render.common import ago, iso, pr_label
    from gitops_promotion.render.data import change_data
    from gitops_promotion.render.text import table

    group, app = validate_name("group", group), validate_name("app", app)
    if env is not None:
        ctx.config.env(env)  # unknown env: a ConfigError naming the defined ones
    inv = collect(ctx, group=group, app=app, fetch=fetch, clock=clock)
    if (group, app) not in inv.history and (group, app) not in inv.deployed:
        others = [a for g, a in inv.deployed if g == group]
        listing = f"apps of {group}: {', '.join(others)}" if others else f"no environment deploys group {group}"
        msg = f"--app {app}: no environment deploys {group}/{app} now or in its history; {listing}"
        raise UsageError(msg)
    changes = [c for c in reversed(inv.history.get((group, app), [])) if env is None or c.env == env]
    prs = {} if offline else _lookup_prs(ctx, changes[:lookups], inv.notes)
    rows, data = [["ENV", "TAG", "BEFORE", "PR", "BY", "WHEN", "COMMIT"]], []
    for change in changes:
        number = change.commit.pr_number
        merged_by = prs.get(number, {}).get("merged_by") if number is not None else None
        tag = "(removed)" if change.image is None else (change.image.tag or "(no tag)")
        before = change.previous.tag if change.previous and change.previous.tag else "-"
        rows.append(
            [
                change.env,
                tag,
                before,
                pr_label(change),
                merged_by or change.commit.author,
                ago(change.commit.timestamp, inv.generated_at),
                change.commit.sha[:10],
            ]
        )
        item = change_data(change)
        item.update(
            when=iso(change.commit.timestamp),
            merged_by=merged_by,
            pr_url=prs.get(number, {}).get("url") if number is not None else None,
        )
        data.append(item)
    where = f" in {env}" if env else ""
    lines = table(rows) if changes else []
    lines += [f"note: {n}" for n in inv.notes]
    message = f"{len(changes)} change{'s' if len(changes) != 1 else ''} of {group}/{app}{where}"
    return Result(
        outcome="done",
        message=message,
        lines=tuple(lines),
        environment=env,
        data={"group": group, "app": app, "changes": data},
    )


def _lookup_prs(ctx: Context, changes: list[Change], notes: list[str]) -> dict[int, dict[str, Any]]:
    numbers = list(dict.fromkeys(c.commit.pr_number for c in changes if c.commit.pr_number is not None))
    if not numbers:
        return {}
    found: dict[int, dict[str, Any]] = {}
    try:
        provider = ctx.provider
        for number in numbers:
            pr = provider.get_pr(number)
            found[number] = {"merged_by": pr.merged_by, "url": pr.url}
    except PromotionError as exc:
        notes.append(f"pull requests not read from the forge ({exc}); authors are the merge commits'")
    return found
