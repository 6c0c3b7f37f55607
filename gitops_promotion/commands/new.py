"""`new`: put a freshly built tag into the first environment."""

from __future__ import annotations

from gitops_promotion.commands.opening import ensure_allowed, open_promotion
from gitops_promotion.context import Context
from gitops_promotion.names import validate_name
from gitops_promotion.policy import evaluate
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState


def new(ctx: Context, *, group: str, app: str, tag: str, digest: str | None = None) -> Result:
    """Open (or update) the PR that sets ``tag`` for ``group/app`` in the first environment."""
    from gitops_promotion.manifests import validate_digest, validate_tag

    state = PromotionState(
        group=validate_name("group", group),
        app=validate_name("app", app),
        tag=validate_tag(tag),
        env=ctx.config.first_env.name,
        digest=validate_digest(digest) if digest else "",
    )
    decision = evaluate(ctx.config, state, previous_tag=lambda: None)
    ensure_allowed(decision.allowed, decision.explain(), state)
    return open_promotion(ctx, state)
