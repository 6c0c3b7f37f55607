"""Notifications to Slack (incoming webhook), Microsoft Teams (workflow webhook, Adaptive Card) and plain
JSON webhooks. The URL comes from the environment variable the config names and is never printed: webhook URLs
carry their secret in the path. A failure is a warning line, never a failed promotion."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from gitops_promotion.config import NotifyEvent
from gitops_promotion.context import Context
from gitops_promotion.providers.base import PullRequest
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState

TIMEOUT_S = 5.0
# post(url, payload, timeout): raises on a network error or a non-2xx answer.
Post = Callable[[str, dict[str, Any], float], None]


@dataclass(frozen=True)
class Notice:
    event: NotifyEvent
    headline: str
    state: PromotionState
    pr: PullRequest | None
    detail: str = ""

    def facts(self) -> list[tuple[str, str]]:
        s = self.state
        facts = [("Application", f"{s.group}/{s.app}"), ("Tag", s.tag), ("Environment", s.env)]
        if s.digest:
            facts.append(("Digest", s.digest))
        if self.pr is not None:
            facts.append(("Pull request", f"#{self.pr.number}"))
        if s.reason:
            facts.append(("Reason", s.reason))
        if s.requester:
            facts.append(("Requested by", s.requester))
        if s.forced:
            facts.append(("Forced", "yes (policy overridden with --force)"))
        if self.detail:
            facts.append(("Detail", self.detail))
        return facts


def headline(event: NotifyEvent, state: PromotionState, pr: PullRequest | None, outcome: str = "") -> str:
    """One sentence saying what happened, e.g. ``apps/web 1.2.3 merged into dev (#12)``."""
    ref = f" (#{pr.number})" if pr is not None else ""
    what = f"{state.group}/{state.app} {state.tag}"
    if event == "merged":
        return f"{what} merged into {state.env}{ref}"
    if event == "blocked":
        return f"Gate closed: {what} cannot go into {state.env} yet{ref}"
    if event == "override":
        return f"Gate overridden: {what} may go into {state.env}{ref}"
    if event == "release":
        verb = "Rollback" if state.type == "rollback" else "Release"
        return f"{verb} requested: {what} into {state.env}{ref}"
    return f"Pull request {outcome or 'opened'}: {what} into {state.env}{ref}"


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_payload(notice: Notice) -> dict[str, Any]:
    """Incoming-webhook message: ``text`` is the notification fallback, ``blocks`` the rich layout."""
    lines = [f"*{_slack_escape(notice.headline)}*"]
    lines += [f"{name}: {_slack_escape(value)}" for name, value in notice.facts()]
    if notice.pr is not None and notice.pr.url.startswith("http"):
        lines.append(f"<{notice.pr.url}|Open pull request #{notice.pr.number}>")
    return {
        "text": notice.headline,
        "blocks": [
            {"type": "section", "text": {"type": "mrkdwn", "text": "\n".join(lines)}},
            {"type": "context", "elements": [{"type": "mrkdwn", "text": f"gitops-promotion · {notice.event}"}]},
        ],
    }


def teams_payload(notice: Notice) -> dict[str, Any]:
    """A Teams workflow ("Post to a channel when a webhook request is received") message with one card."""
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {"type": "TextBlock", "text": notice.headline, "weight": "Bolder", "size": "Medium", "wrap": True},
            {"type": "FactSet", "facts": [{"title": n, "value": v} for n, v in notice.facts()]},
        ],
    }
    if notice.pr is not None and notice.pr.url.startswith("http"):
        card["actions"] = [{"type": "Action.OpenUrl", "title": "Open pull request", "url": notice.pr.url}]
    return {
        "type": "message",
        "attachments": [
            {"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": None, "content": card}
        ],
    }


def webhook_payload(notice: Notice) -> dict[str, Any]:
    """Plain JSON for any receiver: the event, the promotion's fields and the PR."""
    s = notice.state
    return {
        "event": notice.event,
        "message": notice.headline,
        "type": s.type,
        "group": s.group,
        "app": s.app,
        "tag": s.tag,
        "env": s.env,
        "digest": s.digest or None,
        "reason": s.reason or None,
        "requester": s.requester or None,
        "forced": s.forced,
        "detail": notice.detail or None,
        "pull_request": None if notice.pr is None else {"number": notice.pr.number, "url": notice.pr.url},
    }


PAYLOADS: dict[str, Callable[[Notice], dict[str, Any]]] = {
    "slack": slack_payload,
    "teams": teams_payload,
    "webhook": webhook_payload,
}


def http_post(url: str, payload: dict[str, Any], timeout: float) -> None:
    import requests

    response = requests.post(url, json=payload, timeout=timeout)
    if not 200 <= response.status_code < 300:
        raise NotifyError(f"HTTP {response.status_code}")


class NotifyError(Exception):
    """A webhook answered with a non-2xx status."""


def _describe(exc: Exception) -> str:
    # requests' messages quote the URL (and so the webhook's secret): name the failure, not the message.
    return str(exc) if isinstance(exc, NotifyError) else type(exc).__name__


def send(
    ctx: Context,
    event: NotifyEvent,
    state: PromotionState,
    pr: PullRequest | None = None,
    *,
    outcome: str = "",
    detail: str = "",
    post: Post = http_post,
    timeout: float = TIMEOUT_S,
) -> list[str]:
    """Tell the env's notifiers subscribed to ``event``; returns ``warning: ...`` lines, never raises."""
    if state.env not in ctx.config.env_names:
        return []
    notifiers = [n for n in ctx.config.env(state.env).notify if event in n.events]
    if not notifiers:
        return []
    if ctx.dry_run:
        return [f"dry run: would send the {n.type} notification for {event} ({n.url_env})" for n in notifiers]
    notice = Notice(event, headline(event, state, pr, outcome), state, pr, detail)
    warnings = []
    for notifier in notifiers:
        url = ctx.environ.get(notifier.url_env, "")
        if not url:
            warnings.append(
                f"warning: {notifier.type} notification for {event} not sent: "
                f"environment variable {notifier.url_env} is not set"
            )
            continue
        try:
            post(url, PAYLOADS[notifier.type](notice), timeout)
        except Exception as exc:  # a notification never fails a promotion
            warnings.append(
                f"warning: {notifier.type} notification for {event} ({notifier.url_env}) failed: {_describe(exc)}"
            )
    return warnings


def attach(result: Result, warnings: list[str]) -> Result:
    """``result`` with notification warnings appended to its printed lines."""
    return replace(result, lines=(*result.lines, *warnings)) if warnings else result


def after_open(ctx: Context, state: PromotionState, pr: PullRequest, outcome: str, result: Result) -> Result:
    """The notification for a PR just opened or updated: ``release`` for releases and rollbacks."""
    event: NotifyEvent = "release" if state.type in ("release", "rollback") else "opened"
    return attach(result, send(ctx, event, state, pr, outcome=outcome))
