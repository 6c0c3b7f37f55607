"""`status`: the merge gate. Waits for Flux's status for the previous environment on the promoted commit."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from gitops_promotion.commands import notify
from gitops_promotion.context import Context
from gitops_promotion.errors import PromotionError, UsageError
from gitops_promotion.gate import FluxSelection, GateReading, read_gate, selection_for
from gitops_promotion.history.deployed import deployed_at
from gitops_promotion.providers.base import PullRequest
from gitops_promotion.result import Result
from gitops_promotion.state import TOOL_PREFIXES, PromotionState, StateError, parse_state

FIRST_POLL_S = 5.0
MAX_POLL_S = 30.0
FALLBACK_COMMITS = 5  # later commits checked when Flux skipped the merge commit


@dataclass(frozen=True)
class Observation:
    reading: GateReading
    commit: str  # the commit whose statuses decided (the merge commit or a later one)


def status(
    ctx: Context,
    *,
    branch: str | None,
    timeout_s: float | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> Result:
    """Exit 0 when the previous environment reconciled the promoted commit, 1 when it failed or timed out."""
    if not branch:
        msg = "--branch is required outside a pull request build (or GITHUB_HEAD_REF / SYSTEM_PULLREQUEST_SOURCEBRANCH)"
        raise UsageError(msg)
    branch = branch.removeprefix("refs/heads/")
    if not branch.startswith(TOOL_PREFIXES):
        return _open(f"branch {branch} is not a promotion branch; nothing to gate")
    pr = _find_pr(ctx, branch)
    try:
        state = parse_state(pr.body)
    except StateError as exc:
        msg = f"pull request {pr.number} on {branch} has unreadable promotion metadata: {exc}"
        raise PromotionError(msg) from None
    if state is None:
        msg = f"pull request {pr.number} on {branch} carries no promotion metadata; was it edited by hand?"
        raise PromotionError(msg)
    if state.type != "promote":
        return _ungated(
            ctx, pr, state, f"pull request {pr.number} is a {state.type} pull request; policies gated it when opened"
        )
    previous = ctx.config.previous_env(state.env)
    if previous is None:
        return _ungated(ctx, pr, state, f"{state.env} is the first environment; nothing to wait for")
    if not state.sha:  # fail closed: without the promoted commit there is no Flux status to wait for
        msg = (
            f"pull request {pr.number} on {branch} promotes into {state.env} but its metadata has no sha (the "
            f"commit {previous.name} was promoted from); the gate stays closed"
        )
        raise PromotionError(msg)
    selection = selection_for(ctx.config, state.group, previous.name)
    timeout = ctx.config.status_timeout_seconds if timeout_s is None else timeout_s
    deadline = clock() + timeout
    wait = FIRST_POLL_S
    while True:
        seen = _observe(ctx, state, previous.name, selection)
        now = clock()
        if seen.reading.verdict in ("success", "failure") or now >= deadline:
            break
        sleep(min(wait, deadline - now))  # the last poll happens at the deadline, not one back-off early
        wait = min(wait * 2, MAX_POLL_S)
    # The Go tool's wording (`successful reconciliation for <group>-<env>`), which pipelines grep; not a match rule.
    label = f"{state.group}-{previous.name}"
    return _finish(ctx, pr=pr, state=state, name=label, seen=seen, timeout=timeout)


def _find_pr(ctx: Context, branch: str) -> PullRequest:
    """The open PR for ``branch``: its base is the env's branch for per-env names, else the default branch."""
    bases = [ctx.default_branch]
    parts = branch.split("/")
    if len(parts) >= 3 and parts[1] in ctx.config.env_names:
        env = ctx.config.env(parts[1])
        if env.branch:
            bases.insert(0, env.branch)
    for base in dict.fromkeys(bases):
        pr = ctx.provider.find_open_pr(branch, base)
        if pr is not None:
            return pr
    msg = f"no open pull request from {branch} into {' or '.join(dict.fromkeys(bases))}"
    raise PromotionError(msg)


def observe(ctx: Context, state: PromotionState, prev_env: str, selection: FluxSelection) -> Observation:
    """Flux's verdict for ``selection`` on the promoted commit, or on a later commit still deploying the tag."""
    return _observe(ctx, state, prev_env, selection)


def _observe(ctx: Context, state: PromotionState, prev_env: str, selection: FluxSelection) -> Observation:
    statuses = ctx.provider.commit_statuses(state.sha)
    reading = read_gate(statuses, selection)
    if reading.verdict == "failure" or (reading.verdict != "none" and not reading.missing):
        return Observation(reading, state.sha)
    # Flux may have skipped the merge commit (several merges in one interval): a later commit of the previous
    # env's branch that still deploys the same tag stands in for it (DESIGN 3).
    loc = ctx.location(prev_env, state.group)
    ctx.repo.fetch(loc.branch)
    later = ctx.repo.log(f"{state.sha}..{ctx.repo.remote_ref(loc.branch)}", first_parent=True)
    candidates = []
    for entry in reversed(later):  # oldest first: stop at the first commit that no longer deploys the tag
        found = deployed_at(ctx.repo, entry.sha, loc.path, state.group, state.app)
        if found is None or found.tag != state.tag:
            break
        candidates.append(entry.sha)
    if reading.missing and reading.verdict != "none":
        # Each cluster syncs on its own: a listed Provider that skipped the merge commit may report a later one.
        later_statuses = [s for sha in candidates[-FALLBACK_COMMITS:] for s in ctx.provider.commit_statuses(sha)]
        return Observation(read_gate([*statuses, *later_statuses], selection), state.sha)
    for sha in reversed(candidates[-FALLBACK_COMMITS:]):  # newest first
        later_reading = read_gate(ctx.provider.commit_statuses(sha), selection)
        if later_reading.verdict != "none":
            return Observation(later_reading, sha)
    return Observation(reading, state.sha)


def _ungated(ctx: Context, pr: PullRequest, state: PromotionState, message: str) -> Result:
    """No Flux status to wait for; windows (and an override) still decide, and the verdict is posted."""
    from gitops_promotion.commands.gate_verdict import compose, record_override, utc_now

    why = message.split("; ", maxsplit=1)[0]
    verdict = compose(ctx, pr, state, reading=None, commit=None, statuses=[], now=utc_now(), why=why)
    warnings = record_override(ctx, pr, state, verdict)  # first: a green gate may merge the PR at once
    ctx.provider.report_gate(pr, state=verdict.state, description=verdict.description)
    if verdict.state == "success":
        return notify.attach(_open(message), warnings)
    return Result(
        outcome="gate-closed",
        message=verdict.description,
        pr_number=pr.number,
        pr_url=pr.url,
        branch=pr.head,
        environment=state.env,
        exit_code=1,
    )


def _finish(
    ctx: Context, *, pr: PullRequest, state: PromotionState, name: str, seen: Observation, timeout: float
) -> Result:
    from gitops_promotion.commands.gate_verdict import compose, record_override, soak_statuses, utc_now

    verdict = seen.reading.verdict
    detail = seen.reading.describe()
    where = f"commit {seen.commit[:12]}" + ("" if seen.commit == state.sha else f" (later than {state.sha[:12]})")
    statuses = soak_statuses(ctx, state, seen.reading, seen.commit)
    gate = compose(ctx, pr, state, reading=seen.reading, commit=seen.commit, statuses=statuses, now=utc_now())
    if gate.state == "success":
        outcome, code = "gate-open", 0
        message = f"successful reconciliation for {name}"
    elif verdict == "success":  # Flux is green; soak time or a window holds the PR
        outcome, code = "gate-closed", 1
        message = f"{gate.description} (Flux reconciled {name} on {where}; a later reconcile turns the gate green)"
    elif verdict == "failure":
        outcome, code = "gate-closed", 1
        message = f"reconciliation failed for {name} on {where}: {detail}"
    else:
        outcome, code = "gate-closed", 1
        message = (
            f"timed out after {timeout:.0f}s waiting for Flux to reconcile {name} on {where}: {detail}; "
            f"re-run: gitops-promotion status --branch {pr.head}"
        )
    warnings = record_override(ctx, pr, state, gate)  # first: a green gate may merge the PR at once
    ctx.provider.report_gate(pr, state=gate.state, description=gate.description)
    summary = (
        f"### Gate for {state.group}/{state.app} {state.tag} → {state.env}\n\n"
        f"Waited for `{seen.reading.wanted}` on {where}: **{outcome}**\n\n"
        + "".join(f"- `{c}`: {s}\n" for c, s in seen.reading.seen)
        + (f"\n{detail}\n" if not seen.reading.seen or seen.reading.missing else "")
    )
    result = Result(
        outcome=outcome,  # type: ignore[arg-type] # one of the two literals above
        message=message,
        lines=(f"status contexts on {where}: {detail}",),
        pr_number=pr.number,
        pr_url=pr.url,
        branch=pr.head,
        environment=state.env,
        summary_md=summary,
        data={
            "commit": seen.commit,
            "contexts": dict(seen.reading.seen),
            "missing_providers": list(seen.reading.missing),
            "other_flux_contexts": list(seen.reading.others),  # what Flux posted that the selection ignores
        },
        exit_code=code,
    )
    if code == 0:
        return notify.attach(result, warnings)
    return notify.attach(result, notify.send(ctx, "blocked", state, pr, detail=message))


def _open(message: str) -> Result:
    return Result(outcome="gate-open", message=message)
