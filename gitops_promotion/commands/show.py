"""`show`: what runs where (matrix, arrival, lag), open promotion PRs and their gates, in four formats."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

from gitops_promotion.context import Context
from gitops_promotion.errors import PromotionError, UsageError
from gitops_promotion.history.inventory import Inventory, collect
from gitops_promotion.names import validate_name
from gitops_promotion.result import Result

if TYPE_CHECKING:  # the forge side of show (gates) loads only when a forge is asked (show --offline never)
    from gitops_promotion.history.pending import GateReader
    from gitops_promotion.providers.base import CommitStatus, Provider, PullRequest
    from gitops_promotion.state import PromotionState

FORMATS = ("text", "json", "markdown", "html")


def show(
    ctx: Context,
    *,
    group: str | None = None,
    app: str | None = None,
    output: str = "text",
    out: Path | None = None,
    offline: bool = False,
    fetch: bool = True,
    clock: Callable[[], float] = time.time,
) -> Result:
    """The matrix app x environment from each env's branch head; PRs and gates when a forge is reachable."""
    from gitops_promotion.render.common import web_base
    from gitops_promotion.render.data import inventory_data
    from gitops_promotion.render.markdown import render_markdown

    if output not in FORMATS:
        msg = f"--output {output!r} is not one of: {', '.join(FORMATS)}"
        raise UsageError(msg)
    if out is not None and output != "html":
        msg = "--out is only for --output html (other formats print to stdout)"
        raise UsageError(msg)
    group = validate_name("group", group) if group else None
    app = validate_name("app", app) if app else None
    provider, problem = (None, "offline: open pull requests and gates not read") if offline else (_provider(ctx))
    inv = collect(ctx, group=group, app=app, fetch=fetch, clock=clock)
    if provider is not None:
        _add_pending(ctx, inv, provider, group, app)
    elif problem:
        inv.notes.append(problem)
    base = web_base(ctx.repo.remote_url()) if provider is not None and provider.name != "local" else None
    markdown = render_markdown(inv, base)
    message = _summary(inv)
    lines: tuple[str, ...] = ()
    if output == "text":
        from gitops_promotion.render.text import render_text

        lines = tuple(render_text(inv))
    elif output == "markdown":
        lines, message = (markdown.rstrip("\n"),), ""
    elif output == "html":
        lines, message = _html(inv, base, out, message)
    return Result(
        outcome="done",
        message=message,
        lines=lines,
        summary_md=markdown,
        data=inventory_data(inv, base) if output == "json" else {},
    )


def _provider(ctx: Context) -> tuple[Provider | None, str]:
    try:
        return ctx.provider, ""
    except PromotionError as exc:
        return None, f"no forge ({exc}): open pull requests and gates not read"


def _add_pending(ctx: Context, inv: Inventory, provider: Provider, group: str | None, app: str | None) -> None:
    from gitops_promotion.history.pending import read_pending

    try:
        inv.pending = read_pending(ctx.config, provider, group=group, app=app, gate=_gate_reader(ctx))
        inv.forge = provider.name
    except PromotionError as exc:
        inv.notes.append(f"open pull requests not read: {exc}")


def _gate_reader(ctx: Context) -> GateReader:
    """The gate as `status` and `reconcile` post it (Flux, soak, windows, override), in show's words; Flux's
    statuses come from the one batched read of every PR's commit."""
    from gitops_promotion.commands.gate_verdict import gate_verdict, utc_now

    words = {"success": "open", "pending": "waiting", "failure": "closed"}
    now = utc_now()

    def read(pr: PullRequest, state: PromotionState, statuses: dict[str, list[CommitStatus]]) -> tuple[str, str]:
        known = _Prefetched(ctx.provider, statuses)
        verdict = gate_verdict(dataclasses.replace(ctx, provider_factory=known.as_provider), pr, state, now=now)
        if state.type != "promote" and verdict.state == "success":
            return "n/a", verdict.description  # nothing to wait for: policies decided when it opened
        return words[verdict.state], verdict.description

    return read


class _Prefetched:
    """The provider, answering commit_statuses from statuses already read in one batch (one GraphQL query)."""

    def __init__(self, provider: Provider, statuses: dict[str, list[CommitStatus]]) -> None:
        self._provider = provider
        self._statuses = statuses

    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        found = self._statuses.get(sha)
        return list(found) if found is not None else self._provider.commit_statuses(sha)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._provider, name)

    def as_provider(self) -> Provider:
        return cast("Provider", self)


def _html(inv: Inventory, base: str | None, out: Path | None, message: str) -> tuple[tuple[str, ...], str]:
    from gitops_promotion.render.html import render_html

    page = render_html(inv, base=base)
    if out is None:
        return (page.rstrip("\n"),), ""
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_name(out.name + ".tmp")
        tmp.write_text(page, encoding="utf-8")
        tmp.replace(out)
    except OSError as exc:
        msg = f"--out {out}: cannot write the dashboard: {exc.strerror or exc}"
        raise UsageError(msg) from None
    return (), f"wrote dashboard {out}: {message}"


def _summary(inv: Inventory) -> str:
    apps = f"{len(inv.apps)} app{'s' if len(inv.apps) != 1 else ''}"
    envs = f"{len(inv.envs)} environment{'s' if len(inv.envs) != 1 else ''}"
    text = f"{apps} in {envs}"
    if inv.forge is not None:
        failed = sum(1 for p in inv.pending if p.gate == "closed")
        text += f"; {len(inv.pending)} open pull request{'s' if len(inv.pending) != 1 else ''}"
        if failed:
            text += f", {failed} with a failed gate"
    return text
