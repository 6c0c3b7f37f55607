"""Open promotion PRs and the state of their gates, read from the forge for `show`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, cast

from gitops_promotion.config import Config
from gitops_promotion.gate import read_gate, selection_for
from gitops_promotion.history.inventory import Pending
from gitops_promotion.providers.base import CommitStatus, Provider, PullRequest
from gitops_promotion.state import DEPLOY_PREFIXES, PromotionState, StateError, parse_state

_GATE = {"success": "open", "failure": "closed", "pending": "waiting", "none": "waiting"}


# The composed gate (commands/gate_verdict.py) for one PR: (gate, detail), injected so this layer stays below it.
# The gate as `status` posts it (Flux, soak, windows), given the statuses read in one batch for every PR.
GateReader = Callable[[PullRequest, PromotionState, dict[str, list[CommitStatus]]], tuple[str, str]]


def read_pending(
    config: Config,
    provider: Provider,
    *,
    group: str | None = None,
    app: str | None = None,
    gate: GateReader | None = None,
) -> list[Pending]:
    """Open PRs carrying our metadata (optionally for one group/app) with their gate state; oldest first."""
    wanted: dict[int, tuple[PullRequest, PromotionState]] = {}
    for pr in provider.list_open_prs(DEPLOY_PREFIXES):  # one listing for all prefixes (issue 17: it was one per prefix)
        state = _state(pr)
        if state is None or pr.number in wanted:
            continue
        if (group and state.group != group) or (app and state.app != app):
            continue
        wanted[pr.number] = (pr, state)
    statuses = _statuses(provider, [s.sha for _, s in wanted.values() if _gated(config, s)])
    found = [_pending(config, statuses, pr, state, gate) for pr, state in wanted.values()]
    return sorted(found, key=lambda p: (p.created_at or 0, p.number))


class _ManyStatuses(Protocol):
    def commit_statuses_many(self, shas: Sequence[str]) -> dict[str, list[CommitStatus]]: ...


def _statuses(provider: Provider, shas: list[str]) -> dict[str, list[CommitStatus]]:
    """Every gated commit's statuses: one query where the forge can batch (GitHub GraphQL), else one each."""
    if not shas:
        return {}
    if hasattr(provider, "commit_statuses_many"):
        return cast(_ManyStatuses, provider).commit_statuses_many(shas)
    return {sha: provider.commit_statuses(sha) for sha in dict.fromkeys(shas)}


def _gated(config: Config, state: PromotionState) -> bool:
    previous = config.previous_env(state.env) if state.env in config.env_names else None
    return state.type == "promote" and previous is not None and bool(state.sha)


def _state(pr: PullRequest) -> PromotionState | None:
    try:
        return parse_state(pr.body)
    except StateError:
        return None


def _pending(
    config: Config,
    statuses: dict[str, list[CommitStatus]],
    pr: PullRequest,
    state: PromotionState,
    reader: GateReader | None,
) -> Pending:
    gate, detail = "n/a", ""
    previous = config.previous_env(state.env) if state.env in config.env_names else None
    if reader is not None and state.env in config.env_names:
        gate, detail = reader(pr, state, statuses)
    elif state.type == "promote" and previous is not None and state.sha:
        reading = read_gate(statuses.get(state.sha, []), selection_for(config, state.group, previous.name))
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
