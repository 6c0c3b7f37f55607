"""Open promotion PRs and the state of their gates, read from the forge for `show`."""

from __future__ import annotations

from collections.abc import Callable

from gitops_promotion.config import Config
from gitops_promotion.gate import read_gate
from gitops_promotion.history.inventory import Pending
from gitops_promotion.providers.base import Provider, PullRequest
from gitops_promotion.state import PromotionState, StateError, parse_state

# One listing per kind of branch the tool opens (targeted by head prefix, DESIGN 7).
PREFIXES = ("promote/", "release/", "rollback/")
_GATE = {"success": "open", "failure": "closed", "pending": "waiting", "none": "waiting"}


# The composed gate (commands/gate_verdict.py) for one PR: (gate, detail), injected so this layer stays below it.
GateReader = Callable[[PullRequest, PromotionState], tuple[str, str]]


def read_pending(
    config: Config,
    provider: Provider,
    *,
    group: str | None = None,
    app: str | None = None,
    gate: GateReader | None = None,
) -> list[Pending]:
    """Open PRs carrying our metadata (optionally for one group/app) with their gate state; oldest first."""
    found: dict[int, Pending] = {}
    for prefix in PREFIXES:
        for pr in provider.list_open_prs(prefix):
            state = _state(pr)
            if state is None or pr.number in found:
                continue
            if (group and state.group != group) or (app and state.app != app):
                continue
            found[pr.number] = _pending(config, provider, pr, state, gate)
    return sorted(found.values(), key=lambda p: (p.created_at or 0, p.number))


def _state(pr: PullRequest) -> PromotionState | None:
    try:
        return parse_state(pr.body)
    except StateError:
        return None


def _pending(
    config: Config, provider: Provider, pr: PullRequest, state: PromotionState, reader: GateReader | None
) -> Pending:
    gate, detail = "n/a", ""
    previous = config.previous_env(state.env) if state.env in config.env_names else None
    if reader is not None and state.env in config.env_names:
        gate, detail = reader(pr, state)
    elif state.type == "promote" and previous is not None and state.sha:
        reading = read_gate(provider.commit_statuses(state.sha), f"{state.group}-{previous.name}")
        gate, detail = _GATE[reading.verdict], reading.describe()
    elif state.type != "promote":
        detail = f"{state.type}: gated by policy when opened"
    else:
        detail = "first environment: nothing to wait for"
    return Pending(
        number=pr.number,
        url=pr.url,
        kind=state.type,
        group=state.group,
        app=state.app,
        tag=state.tag,
        env=state.env,
        head=pr.head,
        gate=gate,  # type: ignore[arg-type] # values of _GATE or "n/a"
        gate_detail=detail,
        created_at=int(pr.created_at.timestamp()) if pr.created_at else None,
    )
