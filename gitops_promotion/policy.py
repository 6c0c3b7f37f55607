"""Environment policies (allowed_tags, require_previous, freeze): the decision and its explanation."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from gitops_promotion.config import Config
from gitops_promotion.state import PromotionState


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reasons: tuple[str, ...]  # every rule checked, with its outcome, in order
    failed: tuple[str, ...] = ()  # the reasons of the rules that block

    def explain(self) -> str:
        """Why: the blocking rules when blocked (a rule that passed is no reason to block), else every rule."""
        return "; ".join(self.failed if not self.allowed and self.failed else self.reasons)


def evaluate(
    config: Config,
    state: PromotionState,
    *,
    previous_tag: Callable[[], str | None],
    force: bool = False,
) -> Decision:
    """Whether ``state`` may go into its environment. ``previous_tag`` reads what the previous env runs."""
    policy = config.policy(state.env, state.group, state.app)
    reasons: list[str] = []
    failed: list[str] = []
    if policy.freeze:
        if state.type in ("release", "rollback") and force:
            reasons.append(f"{state.env} is frozen; overridden with --force")
        else:
            hint = " (a release may override it with --force)" if state.type in ("release", "rollback") else ""
            failed.append(f"{state.env} is frozen{hint}")
            reasons.append(failed[-1])
    if policy.allowed_tags is not None:
        # The regex as written in the config: repr() would double every backslash.
        if re.fullmatch(policy.allowed_tags, state.tag):
            reasons.append(f"tag {state.tag} matches allowed_tags '{policy.allowed_tags}'")
        else:
            failed.append(f"tag {state.tag} does not match allowed_tags '{policy.allowed_tags}' for {state.env}")
            reasons.append(failed[-1])
    require_previous = policy.require_previous
    if require_previous is None:
        require_previous = state.type == "promote"
    previous = config.previous_env(state.env)
    if require_previous and previous is not None:
        running = previous_tag()
        if running == state.tag:
            reasons.append(f"{previous.name} runs {state.tag}")
        else:
            failed.append(f"require_previous: {previous.name} runs {running or 'nothing'}, not {state.tag}")
            reasons.append(failed[-1])
    if not reasons:
        reasons.append(f"no policy restricts {state.env}")
    return Decision(allowed=not failed, reasons=tuple(reasons), failed=tuple(failed))
