"""`release` and `rollback`: put a chosen tag straight into one environment through a PR, gated by policy.

The hotfix path. The PR is of type release (or rollback) and records the reason, the requester and a forced
freeze; it is auto-merged only when the environment's policy says `auto: true`, never because the env is auto.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Literal

from gitops_promotion.commands.opening import ensure_allowed, open_promotion
from gitops_promotion.context import Context
from gitops_promotion.errors import PromotionError
from gitops_promotion.history.deployed import deployed_at
from gitops_promotion.moving_tags import refuse_moving_tag
from gitops_promotion.names import validate_name
from gitops_promotion.policy import Decision, evaluate
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState


def requester_of(ctx: Context, explicit: str | None) -> str:
    """Who asked: --requester, else the CI's user (GitHub Actions, Azure Pipelines), else git's user.name."""
    env = ctx.environ
    for candidate in (explicit, env.get("GITHUB_ACTOR"), env.get("BUILD_REQUESTEDFOR")):
        if candidate:
            return candidate
    return ctx.repo.git("config", "--get", "user.name", check=False) or "unknown"


def running_tag(ctx: Context, env: str, group: str, app: str) -> str | None:
    """The tag ``env`` runs at the head of its branch (origin/<branch>, read from git objects)."""
    loc = ctx.location(env, group)
    rev = ctx.repo.rev(ctx.repo.remote_ref(loc.branch))
    if rev is None:
        return None
    found = deployed_at(ctx.repo, rev, loc.path, group, app)
    return found.tag if found else None


def decide(ctx: Context, state: PromotionState, *, force: bool = False) -> Decision:
    """The policy decision for ``state``; require_previous reads the previous env at its branch head."""
    previous = ctx.config.previous_env(state.env)

    def previous_tag() -> str | None:
        return running_tag(ctx, previous.name, state.group, state.app) if previous else None

    return evaluate(ctx.config, state, previous_tag=previous_tag, force=force)


def release(
    ctx: Context,
    *,
    group: str,
    app: str,
    tag: str,
    env: str,
    reason: str = "",
    force: bool = False,
    requester: str | None = None,
    digest: str | None = None,
    kind: Literal["release", "rollback"] = "release",
    allow_moving_tag: bool = False,
) -> Result:
    """Open (or update) the release PR that sets ``tag`` for ``group/app`` in ``env``."""
    from gitops_promotion.manifests import validate_digest, validate_tag

    state = PromotionState(
        group=validate_name("group", group),
        app=validate_name("app", app),
        tag=validate_tag(tag),
        env=ctx.config.env(env).name,
        digest=validate_digest(digest) if digest else "",
        type=kind,
        reason=reason.strip(),
        requester=requester_of(ctx, requester),
    )
    flag = "--to" if kind == "rollback" else "--tag"
    refuse_moving_tag(state.tag, allowed=allow_moving_tag or ctx.config.allow_moving_tags, flag=flag)
    _ = ctx.provider  # built first: it supplies git's credentials for the fetch
    ctx.repo.fetch(*{ctx.location(e, group).branch for e in ctx.config.env_names})
    decision = decide(ctx, state, force=force)
    ensure_allowed(decision.allowed, decision.explain(), state)
    policy = ctx.config.policy(state.env, state.group, state.app)
    reasons = list(decision.reasons)
    window = _window_reason(ctx, state, force=force)
    if window:
        reasons.append(window)
    if (policy.freeze or window) and force:
        state = replace(state, forced=True)  # recorded in the PR body and notifications; passes the gate
    details = "**Policy**\n\n" + "\n".join(f"- {reason}" for reason in reasons)
    result = open_promotion(ctx, state, auto=policy.auto is True, details=details)
    return replace(result, lines=(*(f"policy: {r}" for r in reasons), *result.lines))


def _window_reason(ctx: Context, state: PromotionState, *, force: bool) -> str:
    """What the deployment windows say now ("" when none is set or they are open)."""
    from gitops_promotion.commands.gate_verdict import utc_now
    from gitops_promotion.windows import evaluate_windows

    windows = ctx.config.policy(state.env, state.group, state.app).windows
    verdict = evaluate_windows(windows, utc_now())
    if verdict.open:
        return ""
    if force:
        return f"deployment window closed ({verdict.reason}); overridden with --force"
    return f"deployment window closed ({verdict.reason}): the gate waits for it (--force passes it)"


def previous_distinct_tag(ctx: Context, group: str, app: str, env: str) -> tuple[str | None, str | None]:
    """(current tag, the tag ``env`` ran before it) from the env's history; None when history has none."""
    from gitops_promotion.history.inventory import collect

    inv = collect(ctx, group=group, app=app, fetch=False)
    cell = inv.cells.get((group, app, env))
    current = cell.image.tag if cell and cell.image else None
    mine = [c for c in inv.history.get((group, app), []) if c.env == env]
    tags = [c.image.tag for c in mine if c.image and c.image.tag]
    earlier = [t for t in tags if t != current]
    return current, earlier[-1] if earlier else None


def rollback(
    ctx: Context,
    *,
    group: str,
    app: str,
    env: str,
    to: str | None = None,
    reason: str = "",
    force: bool = False,
    requester: str | None = None,
    allow_moving_tag: bool = False,
) -> Result:
    """A release of ``to`` (default: the tag ``env`` ran before its current one) as a rollback PR."""
    group, app, env = validate_name("group", group), validate_name("app", app), ctx.config.env(env).name
    _ = ctx.provider  # built first: it supplies git's credentials for the fetch
    ctx.repo.fetch(*{ctx.location(e, group).branch for e in ctx.config.env_names})
    current, previous = previous_distinct_tag(ctx, group, app, env)
    target = to or previous
    if target is None:
        msg = (
            f"no earlier tag of {group}/{app} in {env} in the git history "
            f"(it runs {current or 'nothing'}); pass --to TAG"
        )
        raise PromotionError(msg)
    reason = reason or f"roll back {group}/{app} in {env} from {current or 'nothing'} to {target}"
    return release(
        ctx,
        group=group,
        app=app,
        tag=target,
        env=env,
        reason=reason,
        force=force,
        requester=requester,
        kind="rollback",
        allow_moving_tag=allow_moving_tag,
    )
