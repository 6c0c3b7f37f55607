"""`policy check`: would this tag be allowed into this environment, and why (exit 0 allowed, 1 blocked)."""

from __future__ import annotations

from typing import Any, Literal

from gitops_promotion.commands.release import decide
from gitops_promotion.config import Config, Policy
from gitops_promotion.context import Context
from gitops_promotion.errors import GitError
from gitops_promotion.names import validate_name
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState

# The kinds of change a policy decides about.
CheckKind = Literal["promote", "release", "rollback"]

_FIELDS = ("allowed_tags", "require_previous", "freeze", "auto")


def policy_sources(config: Config, env: str, group: str, app: str) -> dict[str, tuple[Any, str]]:
    """Each policy field's effective value and where it was set (env, group or app override, default)."""
    layers: list[tuple[str, Policy | None]] = [(f"environments.{env}.policy", config.env(env).policy)]
    group_cfg = config.groups.get(group)
    if group_cfg is not None:
        layers.append((f"groups.{group}.policies.{env}", group_cfg.policies.get(env)))
        app_cfg = group_cfg.applications.get(app)
        if app_cfg is not None:
            layers.append((f"groups.{group}.applications.{app}.policies.{env}", app_cfg.policies.get(env)))
    found: dict[str, tuple[Any, str]] = {name: (None, "default") for name in _FIELDS}
    for where, policy in layers:
        if policy is None:
            continue
        for name in _FIELDS:
            value = getattr(policy, name)
            if value is not None:
                found[name] = (value, where)
    if found["auto"][0] is None:
        found["auto"] = (config.env(env).auto, f"environments.{env}.auto")
    return found


def _windows_now(ctx: Context, state: PromotionState, *, force: bool) -> str:
    """The deployment windows' verdict now, in the words the gate posts ("" when none are set)."""
    from gitops_promotion.commands.gate_verdict import utc_now
    from gitops_promotion.windows import evaluate_windows

    windows = ctx.config.policy(state.env, state.group, state.app).windows
    previous = ctx.config.previous_env(state.env)
    soak = ctx.config.policy(previous.name, state.group, state.app).soak if previous else None
    soaking = f"soak: {previous.name} must run the tag {soak} first" if previous and soak else ""
    if not windows:
        return soaking
    verdict = evaluate_windows(windows, utc_now())
    joined = f"{soaking}; " if soaking else ""
    if verdict.open:
        return f"{joined}windows: open now"
    passed = "; --force passes it" if force and state.type != "promote" else "; the gate waits (pending)"
    return f"{joined}windows: closed: {verdict.reason}{passed}"


def policy_check(
    ctx: Context,
    *,
    group: str,
    app: str,
    tag: str,
    env: str,
    kind: CheckKind = "promote",
    force: bool = False,
    fetch: bool = True,
) -> Result:
    """Evaluate the policies for ``tag`` of ``group/app`` into ``env`` and explain every rule checked."""
    from gitops_promotion.manifests import validate_tag

    state = PromotionState(
        group=validate_name("group", group),
        app=validate_name("app", app),
        tag=validate_tag(tag),
        env=ctx.config.env(env).name,
        type=kind,
    )
    notes = []
    if fetch:
        try:
            ctx.repo.fetch(*{ctx.location(e, group).branch for e in ctx.config.env_names})
        except GitError as exc:
            notes.append(f"note: could not fetch ({exc}); read the refs this clone has")
    decision = decide(ctx, state, force=force)
    sources = policy_sources(ctx.config, state.env, group, app)
    lines = [f"policy for {group}/{app} in {state.env} ({kind}):"]
    for name, (value, where) in sources.items():
        # Strings as written in the config (repr() would double a regex's backslashes).
        shown = "not set" if value is None else f"'{value}'" if isinstance(value, str) else str(value).lower()
        if name == "require_previous" and value is None:
            shown = f"not set (on for promotions, off for releases: {'on' if kind == 'promote' else 'off'})"
        lines.append(f"  {name}: {shown}  [{where}]")
    lines += [f"  - {'blocks' if r in decision.failed else 'passes'}: {r}" for r in decision.reasons]
    window = _windows_now(ctx, state, force=force)
    lines += [f"  - {window}"] if window else []
    lines += notes
    verdict = "allowed" if decision.allowed else "blocked"
    return Result(
        outcome="done",
        message=f"{verdict}: {group}/{app} {tag} into {state.env} ({kind}): {decision.explain()}"
        + (f"; {window}" if window else ""),
        lines=tuple(lines),
        environment=state.env,
        data={
            "allowed": decision.allowed,
            "reasons": list(decision.reasons),
            "policy": {k: v for k, (v, _w) in sources.items()},
            "windows": window or "open",
        },
        exit_code=0 if decision.allowed else 1,
    )
