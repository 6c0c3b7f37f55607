"""Notifications: Slack, Teams and generic webhooks against a local HTTP server; failures are only warnings."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from gitops_promotion.commands import notify
from gitops_promotion.commands.new import new
from gitops_promotion.commands.promote import promote
from gitops_promotion.commands.release import release
from gitops_promotion.commands.status import status
from gitops_promotion.providers.base import PullRequest
from gitops_promotion.providers.local import LocalForge
from gitops_promotion.state import PromotionState
from tests.release.builders import Repo, context, deployment, make_repo
from tests.release.hooks import Hooks

CONFIG = """\
environments:
  - name: dev
    auto: true
    notify:
      - {type: webhook, url_env: HOOK_DEV}
      - {type: slack, url_env: SLACK_DEV, events: [merged]}
  - name: qa
    auto: true
    notify:
      - {type: teams, url_env: TEAMS_QA, events: [opened, blocked]}
  - name: prod
    notify:
      - {type: webhook, url_env: HOOK_PROD, events: [release]}
"""
PR = PullRequest(
    number=7,
    title="t",
    body="",
    head="promote/apps-web",
    base="main",
    state="open",
    url="https://forge.example/acme/gitops/pull/7",
)
STATE = PromotionState("apps", "web", "1.2.3", "dev", reason="fix <b> & co", requester="ann")


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return make_repo(
        tmp_path,
        CONFIG,
        {"main": {f"apps/{e}/web.yaml": deployment("apps", "web", "1.0") for e in ("dev", "qa", "prod")}},
    )


def _env(hooks: Hooks) -> dict[str, str]:
    return {
        "HOOK_DEV": hooks.url("/dev"),
        "SLACK_DEV": hooks.url("/slack"),
        "TEAMS_QA": hooks.url("/teams"),
        "HOOK_PROD": hooks.url("/prod"),
    }


def test_generic_webhook_payload(repo: Repo, hooks: Hooks) -> None:
    warnings = notify.send(context(repo.work, environ=_env(hooks)), "opened", STATE, PR, outcome="opened")
    assert warnings == []
    assert hooks.bodies("/dev") == [
        {
            "event": "opened",
            "message": "Pull request opened: apps/web 1.2.3 into dev (#7)",
            "type": "promote",
            "group": "apps",
            "app": "web",
            "tag": "1.2.3",
            "env": "dev",
            "digest": None,
            "reason": "fix <b> & co",
            "requester": "ann",
            "forced": False,
            "detail": None,
            "pull_request": {"number": 7, "url": "https://forge.example/acme/gitops/pull/7"},
        }
    ]
    assert hooks.bodies("/slack") == []  # Slack here only wants `merged`


def test_slack_incoming_webhook_payload(repo: Repo, hooks: Hooks) -> None:
    notify.send(context(repo.work, environ=_env(hooks)), "merged", STATE, PR)
    (body,) = hooks.bodies("/slack")
    assert body["text"] == "apps/web 1.2.3 merged into dev (#7)"
    section, footer = body["blocks"]
    assert section["type"] == "section" and section["text"]["type"] == "mrkdwn"
    text = section["text"]["text"]
    assert text.startswith("*apps/web 1.2.3 merged into dev (#7)*\n")
    assert "Reason: fix &lt;b&gt; &amp; co" in text  # Slack's three escapes
    assert "<https://forge.example/acme/gitops/pull/7|Open pull request #7>" in text
    assert footer == {"type": "context", "elements": [{"type": "mrkdwn", "text": "gitops-promotion · merged"}]}


def test_teams_workflow_adaptive_card(repo: Repo, hooks: Hooks) -> None:
    qa = PromotionState("apps", "web", "1.2.3", "qa", sha="abc")
    notify.send(context(repo.work, environ=_env(hooks)), "blocked", qa, PR, detail="reconciliation failed")
    (body,) = hooks.bodies("/teams")
    assert body["type"] == "message"
    (attachment,) = body["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    assert attachment["contentUrl"] is None
    card = attachment["content"]
    assert (card["type"], card["version"]) == ("AdaptiveCard", "1.4")
    assert card["$schema"] == "http://adaptivecards.io/schemas/adaptive-card.json"
    title, facts = card["body"]
    assert title["text"] == "Gate closed: apps/web 1.2.3 cannot go into qa yet (#7)" and title["wrap"] is True
    assert {"title": "Detail", "value": "reconciliation failed"} in facts["facts"]
    assert card["actions"] == [
        {"type": "Action.OpenUrl", "title": "Open pull request", "url": "https://forge.example/acme/gitops/pull/7"}
    ]


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_failures_are_warnings_that_never_show_the_url(repo: Repo, hooks: Hooks) -> None:
    secret = "/fail/500/T000/B000/XXXXSECRETXXXX"
    env = {"HOOK_DEV": hooks.url(secret), "SLACK_DEV": f"http://127.0.0.1:{_closed_port()}/hooks/SECRET2"}
    ctx = context(repo.work, environ=env)
    assert notify.send(ctx, "opened", STATE, PR) == [
        "warning: webhook notification for opened (HOOK_DEV) failed: HTTP 500"
    ]
    refused = notify.send(ctx, "merged", STATE, PR)
    assert refused[0] == "warning: webhook notification for merged (HOOK_DEV) failed: HTTP 500"
    assert refused[1] == "warning: slack notification for merged (SLACK_DEV) failed: ConnectionError"
    slow = notify.send(
        context(repo.work, environ={"HOOK_DEV": hooks.url("/slow/x")}), "opened", STATE, PR, timeout=0.05
    )
    assert slow == ["warning: webhook notification for opened (HOOK_DEV) failed: ReadTimeout"]
    missing = notify.send(context(repo.work), "opened", STATE, PR)
    assert missing == ["warning: webhook notification for opened not sent: environment variable HOOK_DEV is not set"]
    for line in (*refused, *slow):
        assert "SECRET" not in line and "127.0.0.1" not in line


def test_every_event_through_the_commands(repo: Repo, hooks: Hooks) -> None:
    env = _env(hooks)
    forge = LocalForge(repo.remote)
    opened = new(context(repo.work, environ=env), group="apps", app="web", tag="2.0")
    assert [b["event"] for b in hooks.bodies("/dev")] == ["opened"]
    merge = forge.merge(opened.pr_number or 0)
    repo.git("fetch", "-q", "origin")
    repo.git("checkout", "-q", "-B", "main", "origin/main")
    to_qa = promote(context(repo.work, environ=env))
    assert [b["event"] for b in hooks.bodies("/dev")] == ["opened", "merged"]
    assert hooks.bodies("/slack")[0]["text"] == f"apps/web 2.0 merged into dev (#{opened.pr_number})"
    assert hooks.bodies("/teams")[0]["attachments"][0]["content"]["body"][0]["text"] == (
        f"Pull request opened: apps/web 2.0 into qa (#{to_qa.pr_number})"
    )
    forge.post_status(merge, "kustomization/apps-dev/0a1b2c3d", "failure", "health check failed")
    gate = status(context(repo.work, environ=env), branch=to_qa.branch, sleep=lambda _s: None)
    assert gate.exit_code == 1
    teams = [b["attachments"][0]["content"]["body"][0]["text"] for b in hooks.bodies("/teams")]
    assert teams[-1] == f"Gate closed: apps/web 2.0 cannot go into qa yet (#{to_qa.pr_number})"
    hotfix = release(
        context(repo.work, environ=env),
        group="apps",
        app="web",
        tag="2.0.1",
        env="prod",
        reason="hotfix",
        requester="ann",
    )
    (prod,) = hooks.bodies("/prod")
    assert (prod["event"], prod["type"], prod["reason"], prod["requester"]) == ("release", "release", "hotfix", "ann")
    assert prod["message"] == f"Release requested: apps/web 2.0.1 into prod (#{hotfix.pr_number})"


def test_a_failed_notification_never_fails_the_promotion(repo: Repo, hooks: Hooks) -> None:
    env = {"HOOK_DEV": hooks.url("/fail/503/x")}
    result = new(context(repo.work, environ=env), group="apps", app="web", tag="3.0")
    assert result.outcome == "opened" and result.exit_code == 0
    assert result.lines[-1] == "warning: webhook notification for opened (HOOK_DEV) failed: HTTP 503"


def test_override_label_is_recorded_in_the_pr_body_and_notified(tmp_path: Path, hooks: Hooks) -> None:
    """qa may only take promotions one hour a year; a person labels the PR and `reconcile` lets it pass."""
    from gitops_promotion.commands.reconcile import reconcile

    config = CONFIG.replace(
        "      - {type: teams, url_env: TEAMS_QA, events: [opened, blocked]}\n",
        "      - {type: webhook, url_env: HOOK_QA, events: [override]}\n"
        f"    policy: {{windows: [{{allow: {{cron: '{_closed_now_cron()}', duration: 1h, timezone: UTC}}}}]}}\n",
    )
    files = {f"apps/{e}/web.yaml": deployment("apps", "web", "1.0") for e in ("dev", "qa", "prod")}
    repo = make_repo(tmp_path, config, {"main": files})
    env = {**_env(hooks), "HOOK_QA": hooks.url("/qa")}
    forge = LocalForge(repo.remote)
    opened = new(context(repo.work, environ=env), group="apps", app="web", tag="2.0")
    merge = forge.merge(opened.pr_number or 0)
    forge.post_status(merge, "kustomization/apps-dev/0a1b2c3d", "success", "healthy")
    waiting = reconcile(context(repo.work, environ=env))
    assert "is pending: closed: window opens" in "\n".join(waiting.lines), waiting.lines
    qa_pr = next(pr for pr in forge.list_open_prs("promote/") if "environment qa" in pr.title)
    forge.add_label(qa_pr.number, "gitops-promotion/override")
    passed = reconcile(context(repo.work, environ=env))
    assert "is success: open: override label passes closed: window opens" in "\n".join(passed.lines)
    assert "Gate overridden by label `gitops-promotion/override`" in forge.get_pr(qa_pr.number).body
    (notice,) = hooks.bodies("/qa")
    assert notice["event"] == "override"
    assert notice["message"] == f"Gate overridden: apps/web 2.0 may go into qa (#{qa_pr.number})"
    assert reconcile(context(repo.work, environ=env)).message.endswith("nothing to do")  # recorded once


def _closed_now_cron() -> str:
    """A yearly one-hour window that starts in 60 days: always closed while the test runs, whatever the date."""
    from datetime import datetime, timedelta, timezone

    start = datetime.now(timezone.utc) + timedelta(days=60)
    return f"0 {start.hour} {start.day} {start.month} *"
