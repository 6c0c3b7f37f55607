"""`reconcile` through the real CLI on both fake forges: lost promote runs healed, waiting gates turning green
and auto-merging with no job re-run, soak time and deployment windows with short real durations, the override
label, and `--dry-run` changing nothing.

The required check on every protected branch is the commit status the tool posts, `gitops-promotion/gate`
(GitHub), or the PR status gitops-promotion/gate (Azure DevOps): nothing else turns a PR green.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path

import pytest

from gitops_promotion.providers.base import GATE_CONTEXT, OVERRIDE_LABEL
from tests.e2e.test_azure_flow import GATE as AZURE_GATE
from tests.e2e.test_azure_flow import AzureDriver
from tests.e2e.test_github_flow import GitHubDriver, _environ
from tests.forge.azure_fake import AzureFake
from tests.forge.azure_fixtures import AZURE_REMOTE, AZURE_TOKEN
from tests.forge.fixtures import FakeFactory

pytestmark = pytest.mark.e2e
Driver = GitHubDriver | AzureDriver
CONFIG = "gitops-promotion.yaml"


@pytest.fixture(params=["github", "azure"])
def forge(
    request: pytest.FixtureRequest,
    *,
    example_repo: tuple[Path, Path],
    github_fake_factory: FakeFactory,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> Iterator[Driver]:
    remote, work = example_repo
    if request.param == "github":
        fake = github_fake_factory(remote)
        fake.protect("main", GATE_CONTEXT)  # the tool's own gate status is THE required check
        _environ(monkeypatch, fake)
        yield GitHubDriver(fake, work, remote, capsys)
        return
    with AzureFake(remote, token=AZURE_TOKEN) as azure:
        azure.require_status(*AZURE_GATE)
        monkeypatch.setenv("BUILD_REPOSITORY_URI", AZURE_REMOTE)
        monkeypatch.setenv("AZURE_DEVOPS_EXT_PAT", AZURE_TOKEN)
        monkeypatch.setenv("AZURE_DEVOPS_CACHE_DIR", str(tmp_path / "azure-cache"))
        yield AzureDriver(azure, work, remote, capsys)
    assert not azure.violations, "requests the real Azure DevOps would reject:\n" + "\n".join(azure.violations)


def settle(driver: Driver) -> None:
    """The forge merges what auto-merge (auto-complete) may merge now (GitHub also does it on each status)."""
    if isinstance(driver, GitHubDriver):
        driver.fake.tick()
    else:
        driver.fake.auto_complete()


def cli(driver: Driver, *args: str, code: int = 0) -> str:
    got, out = driver.cli(*args)
    assert got == code, f"{args}: exit {got}\n{out}"
    settle(driver)
    return out


def label(driver: Driver, number: int, name: str) -> None:
    if isinstance(driver, GitHubDriver):
        driver.fake.add_label(number, name)
    else:
        with driver.fake.lock:
            driver.fake.prs[number].labels.append(name)


def pr_body(driver: Driver, number: int) -> str:
    if isinstance(driver, GitHubDriver):
        return driver.fake.pr(number).body
    return str(driver.fake.prs[number].description)


def open_numbers(driver: Driver) -> list[int]:
    if isinstance(driver, GitHubDriver):
        return sorted(pr.number for pr in driver.fake.prs if pr.state == "open")
    return sorted(n for n, pr in driver.fake.prs.items() if pr.status == "active")


def edit_config(driver: Driver, old: str, new: str) -> None:
    driver.git("fetch", "--quiet", "origin")
    driver.git("checkout", "--quiet", "-B", "main", "origin/main")
    path = driver.work / CONFIG
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    driver.git("commit", "--quiet", "-am", "promotion policy")
    driver.git("push", "--quiet", "origin", "main")


def into_dev(driver: Driver, app: str, tag: str, number: int) -> str:
    """`new` opens PR ``number`` into dev, its `status` job posts the (open) gate, auto-merge merges it."""
    out = cli(driver, "new", "--group", "apps", "--app", app, "--tag", tag)
    assert f"pull request {number}" in out, out
    cli(driver, "status", "--branch", f"promote/apps-{app}")
    view = driver.pr(number)
    assert view.state == "merged", f"dev PR {number} is {view.state}"
    assert view.merge_commit
    return view.merge_commit


def deployed(driver: Driver, env: str, app: str) -> str:
    """The line of ``env``'s manifest that holds ``app``'s marker, on origin's main."""
    driver.git("fetch", "--quiet", "origin")
    text = driver.git("show", f"origin/main:apps/{env}/podinfo.yaml")
    return next(line for line in text.splitlines() if f'"apps:{app}' in line)


def test_burst_of_lost_promote_runs_is_healed_by_one_reconcile(forge: Driver) -> None:
    """Two apps merge into dev in a burst; both promote runs are cancelled; one reconcile opens both qa PRs,
    a later one (after Flux) turns their gates green and auto-merge completes them; then prod is caught up."""
    dev_podinfo = into_dev(forge, "podinfo", "7.0.0", 1)
    dev_sidecar = into_dev(forge, "sidecar", "2.0", 2)
    # No `promote` ran for either merge (cancelled by the concurrency group, dropped webhook...).
    out = cli(forge, "reconcile", "--output", "text")
    assert "apps/podinfo: caught up 7.0.0 to qa" in out and "apps/sidecar: caught up 2.0 to qa" in out, out
    assert "created branch promote/apps-podinfo with pull request" in out
    assert open_numbers(forge) == [3, 4]
    assert all(forge.pr(n).auto_merge for n in (3, 4))
    assert "waiting: Flux has not reconciled dev" in out, out
    # Runs repeat safely: nothing new to open, the gates did not change, nothing is posted again.
    again = cli(forge, "reconcile")
    assert "nothing to do" in again and open_numbers(forge) == [3, 4], again
    forge.flux(dev_podinfo, "apps-dev", "success", "east")
    forge.flux(dev_sidecar, "apps-dev", "success", "east")
    out = cli(forge, "reconcile")
    assert "is success: open: dev reconciled on" in out, out
    assert forge.pr(3).state == "merged" and forge.pr(4).state == "merged", out
    assert "podinfo:7.0.0 " in deployed(forge, "qa", "podinfo") and "sidecar:2.0" in deployed(forge, "qa", "sidecar")
    out = cli(forge, "reconcile")
    assert "caught up 7.0.0 to prod" in out and "caught up 2.0 to prod" in out, out
    assert open_numbers(forge) == [5, 6] and not forge.pr(5).auto_merge  # prod is manual


def test_timed_out_gate_turns_green_on_a_later_reconcile_and_auto_merges(forge: Driver) -> None:
    dev = into_dev(forge, "podinfo", "7.1.0", 1)
    forge.git("checkout", "--quiet", "--detach", "origin/main")
    forge.pushed("main")
    assert "to environment qa" in cli(forge, "promote")
    out = cli(forge, "status", "--branch", "promote/apps-podinfo", "--timeout", "0s", code=1)
    assert "timed out" in out
    assert forge.pr(2).state == "open" and forge.pr(2).auto_merge
    forge.flux(dev, "apps-dev", "success", "east")
    out = cli(forge, "reconcile")  # no job re-run by hand: the schedule heals it
    assert "apps/podinfo: gate of pull request 2 (qa) is success" in out, out
    assert forge.pr(2).state == "merged"


def test_soak_time_holds_the_next_env_until_the_tag_ran_long_enough(forge: Driver) -> None:
    edit_config(forge, "  - name: dev\n    auto: true\n", "  - name: dev\n    auto: true\n    policy: {soak: 3s}\n")
    dev = into_dev(forge, "podinfo", "7.2.0", 1)
    out = cli(forge, "reconcile")
    assert "caught up 7.2.0 to qa" in out, out
    forge.flux(dev, "apps-dev", "success", "east")
    out = cli(forge, "reconcile")
    assert "is pending: waiting: soak 1m left on dev" in out, out
    assert forge.pr(2).state == "open"
    out = cli(forge, "status", "--branch", "promote/apps-podinfo", code=1)
    assert "waiting: soak" in out, out
    time.sleep(3.2)
    out = cli(forge, "reconcile")
    assert "is success" in out, out
    assert forge.pr(2).state == "merged"


def _deny_now_for(seconds: int) -> str:
    """A deny window that started at this UTC minute and ends ``seconds`` from now."""
    now = datetime.now(timezone.utc)
    start = now.replace(second=0, microsecond=0)
    length = int((now - start).total_seconds()) + seconds
    return f'{{deny: {{cron: "{start.minute} {start.hour} * * *", duration: {length}s, timezone: UTC}}}}'


def test_deny_window_holds_the_gate_until_it_ends(forge: Driver) -> None:
    dev = into_dev(forge, "podinfo", "7.3.0", 1)
    forge.flux(dev, "apps-dev", "success", "east")
    edit_config(
        forge,
        "  - name: qa\n    auto: true\n",
        f"  - name: qa\n    auto: true\n    policy: {{windows: [{_deny_now_for(4)}]}}\n",
    )
    out = cli(forge, "reconcile")
    assert "caught up 7.3.0 to qa" in out, out
    assert "is pending: closed: window opens" in out and "UTC" in out, out
    assert forge.pr(2).state == "open"
    time.sleep(4.5)
    out = cli(forge, "reconcile")
    assert "is success" in out, out
    assert forge.pr(2).state == "merged"


def test_override_label_passes_a_closed_window_and_is_recorded(forge: Driver) -> None:
    dev = into_dev(forge, "podinfo", "7.4.0", 1)
    forge.flux(dev, "apps-dev", "success", "east")
    qa = "  - name: qa\n    auto: true\n"
    once_a_year = f"{{allow: {{cron: '{closed_now_cron()}', duration: 1h, timezone: Europe/Stockholm}}}}"
    edit_config(forge, qa, f"{qa}    policy: {{windows: [{once_a_year}]}}\n")
    out = cli(forge, "reconcile")
    assert "closed: window opens" in out and "Europe/Stockholm" in out, out
    label(forge, 2, OVERRIDE_LABEL)
    out = cli(forge, "reconcile")
    assert "open: override label passes closed: window opens" in out, out
    assert "Gate overridden by label `gitops-promotion/override`" in pr_body(forge, 2)
    assert forge.pr(2).state == "merged"


def test_dry_run_lists_and_changes_nothing(forge: Driver) -> None:
    into_dev(forge, "podinfo", "7.5.0", 1)
    forge.git("fetch", "--quiet", "origin")  # a dry run fetches too: it reads what is, never a stale copy
    refs = forge.git("ls-remote", str(forge.remote))
    local = forge.git("for-each-ref")
    out = cli(forge, "reconcile", "--dry-run")
    assert (
        "would open pull request on promote/apps-podinfo: Promote apps/podinfo version 7.5.0 to environment qa" in out
    )
    assert "dry run: reconciled" in out
    assert forge.git("ls-remote", str(forge.remote)) == refs
    assert forge.git("for-each-ref") == local
    assert open_numbers(forge) == []
    out = cli(forge, "reconcile", "--dry-run", "--output", "json")
    assert '"kind": "would-open"' in out


def test_reconcile_prints_nothing_to_do_when_in_sync(forge: Driver) -> None:
    out = cli(forge, "reconcile")
    assert "reconciled 2 app(s): nothing to do" in out, out
    assert open_numbers(forge) == []


def closed_now_cron() -> str:
    """A yearly one-hour window that starts in 60 days: always closed while the test runs, whatever the date."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    start = datetime.now(ZoneInfo("Europe/Stockholm")) + timedelta(days=60)
    return f"0 {start.hour} {start.day} {start.month} *"
