"""Deployment windows and soak time with an injected clock: pure functions, real cron (cronsim) and tzdata."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from gitops_promotion.config import WindowRule, WindowSpec, load_config
from gitops_promotion.errors import ConfigError
from gitops_promotion.providers.base import CommitStatus
from gitops_promotion.soak import short_duration, soak_reading
from gitops_promotion.windows import evaluate_windows, next_opening

STOCKHOLM = ZoneInfo("Europe/Stockholm")
WORKDAYS = WindowRule(allow=WindowSpec(cron="0 9 * * 1-4", duration="7h", timezone="Europe/Stockholm"))
FREEZE = WindowRule(deny=WindowSpec(cron="0 0 20 12 *", duration="408h", timezone="Europe/Stockholm"))


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=STOCKHOLM)


@pytest.mark.parametrize(
    ("now", "is_open", "reason"),
    [
        ("2026-12-02T10:00", True, "inside a deployment window"),  # Wednesday morning
        ("2026-12-02T09:00", True, "inside a deployment window"),  # the very minute it opens
        ("2026-12-02T16:00", False, "window opens Thu 09:00 Europe/Stockholm"),  # closes at 16:00 sharp
        ("2026-12-03T17:30", False, "window opens Mon 09:00 Europe/Stockholm"),  # Thursday evening: Friday is out
        ("2026-12-05T12:00", False, "window opens Mon 09:00 Europe/Stockholm"),
    ],
)
def test_allow_window_with_next_opening_named(now: str, is_open: bool, reason: str) -> None:
    verdict = evaluate_windows([WORKDAYS], at(now))
    assert (verdict.open, verdict.reason) == (is_open, reason)


def test_deny_window_inside_an_allow_window_waits_for_the_first_allowed_moment_after_the_freeze() -> None:
    # 20 Dec 00:00 + 408h (17 days) = 6 Jan 00:00, a Wednesday: the next allowed moment is 09:00 that day.
    verdict = evaluate_windows([WORKDAYS, FREEZE], at("2026-12-22T10:00"))
    assert not verdict.open
    assert verdict.next_opening == at("2027-01-06T09:00")
    assert verdict.reason == "window opens Wed 06 Jan 09:00 Europe/Stockholm"
    assert evaluate_windows([WORKDAYS, FREEZE], at("2027-01-06T09:30")).open


def test_windows_follow_daylight_saving_in_their_zone() -> None:
    # 09:00 Stockholm is 08:00 UTC in winter and 07:00 UTC in summer.
    assert evaluate_windows([WORKDAYS], datetime(2026, 12, 2, 8, 0, tzinfo=timezone.utc)).open
    assert not evaluate_windows([WORKDAYS], datetime(2026, 12, 2, 7, 59, tzinfo=timezone.utc)).open
    assert evaluate_windows([WORKDAYS], datetime(2026, 6, 3, 7, 0, tzinfo=timezone.utc)).open


def test_no_windows_is_always_open_and_a_never_opening_set_says_so() -> None:
    assert evaluate_windows(None, at("2026-12-02T03:00")).open
    always_denied = WindowRule(deny=WindowSpec(cron="0 * * * *", duration="2h", timezone="UTC"))
    verdict = evaluate_windows([always_denied], at("2026-12-02T03:00"))
    assert not verdict.open and verdict.reason.startswith("no window opens within")
    assert next_opening([always_denied], at("2026-12-02T03:00")) is None


def flux(state: str, minute: int, context: str = "kustomization/apps-qa/1a2b3c4d") -> CommitStatus:
    return CommitStatus(context, state, datetime(2026, 12, 2, 10, minute, tzinfo=timezone.utc))  # type: ignore[arg-type]


def qa(status: CommitStatus) -> bool:
    return status.context.startswith("kustomization/apps-qa")


def test_soak_counts_from_the_first_success_and_restarts_after_a_failure() -> None:
    soak = timedelta(minutes=30)
    now = datetime(2026, 12, 2, 10, 40, tzinfo=timezone.utc)
    done = soak_reading([flux("success", 5), flux("success", 20)], soak, now, matches=qa)
    assert done.done and done.since == flux("success", 5).created_at
    restarted = soak_reading([flux("success", 5), flux("failure", 15), flux("success", 22)], soak, now, matches=qa)
    assert not restarted.done and restarted.remaining == timedelta(minutes=12)
    failing = soak_reading([flux("success", 5), flux("failure", 15)], soak, now, matches=qa)
    assert not failing.done and failing.since is None and failing.remaining == soak
    others = soak_reading([flux("success", 1, "kustomization/apps-dev/1a2b3c4d")], soak, now, matches=qa)
    assert others.since is None  # another environment's status never counts


@pytest.mark.parametrize(("seconds", "text"), [(1, "1m"), (42 * 60, "42m"), (3900, "1h05m"), (3 * 86400, "3d0h")])
def test_short_duration(seconds: int, text: str) -> None:
    assert short_duration(timedelta(seconds=seconds)) == text


BASE = "environments:\n  - name: dev\n  - name: qa\n    policy:\n"


@pytest.mark.parametrize(
    ("policy", "expected"),
    [
        ("      soak: soon\n", "gitops-promotion.yaml:5: environments.1.policy.soak: invalid duration 'soon'"),
        (
            "      windows:\n        - allow: {cron: '0 9 * *', duration: 1h, timezone: UTC}\n",
            "gitops-promotion.yaml:6: environments.1.policy.windows.0.allow.cron: invalid cron expression '0 9 * *'",
        ),
        (
            "      windows:\n        - deny: {cron: '0 9 * * *', duration: 1h, timezone: Mars/Olympus}\n",
            "gitops-promotion.yaml:6: environments.1.policy.windows.0.deny.timezone: unknown time zone 'Mars/Olympus'",
        ),
        (
            "      windows:\n        - allow: {cron: '0 9 * * *', duration: 0m, timezone: UTC}\n",
            "gitops-promotion.yaml:6: environments.1.policy.windows.0.allow.duration: duration must be positive",
        ),
        (
            "      windows:\n        - {}\n",
            "gitops-promotion.yaml:6: environments.1.policy.windows.0: each window needs exactly one of allow or deny",
        ),
    ],
)
def test_policy_errors_name_file_line_and_key(tmp_path: Path, policy: str, expected: str) -> None:
    path = tmp_path / "gitops-promotion.yaml"
    path.write_text(BASE + policy)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.message.startswith(
        str(tmp_path / expected.split(":", maxsplit=1)[0]) + ":" + expected.split(":", 1)[1]
    )


def test_valid_policy_loads(tmp_path: Path) -> None:
    path = tmp_path / "gitops-promotion.yaml"
    path.write_text(
        BASE + "      soak: 30m\n      windows:\n"
        "        - allow: {cron: '0 9 * * 1-4', duration: 7h, timezone: Europe/Stockholm}\n"
        "        - deny: {cron: '0 0 20 12 *', duration: 408h, timezone: Europe/Stockholm}\n"
    )
    policy = load_config(path).policy("qa", "apps", "web")
    assert policy.soak_seconds == 1800
    assert policy.windows is not None and len(policy.windows) == 2
