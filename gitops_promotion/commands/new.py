"""`new`: put a freshly built tag into the first environment."""

from __future__ import annotations

from gitops_promotion.commands.opening import ensure_allowed, open_promotion
from gitops_promotion.context import Context
from gitops_promotion.moving_tags import refuse_moving_tag
from gitops_promotion.names import validate_name
from gitops_promotion.policy import evaluate
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState


def new(
    ctx: Context,
    *,
    group: str,
    app: str,
    tag: str,
    digest: str | None = None,
    allow_moving_tag: bool = False,
) -> Result:
    """Open (or update) the PR that sets ``tag`` for ``group/app`` in the first environment.

    The metadata's ``sha`` is the checkout's HEAD, as the Go tool writes it: the base the promotion started from.
    """
    from gitops_promotion.manifests import validate_digest, validate_tag

    state = PromotionState(
        group=validate_name("group", group),
        app=validate_name("app", app),
        tag=validate_tag(tag),
        env=ctx.config.first_env.name,
        sha=ctx.repo.head_sha(),
        digest=validate_digest(digest) if digest else "",
    )
    refuse_moving_tag(state.tag, allowed=allow_moving_tag or ctx.config.allow_moving_tags)
    decision = evaluate(ctx.config, state, previous_tag=lambda: None)
    ensure_allowed(decision.allowed, decision.explain(), state)
    return open_promotion(ctx, state)
