"""`show` and `history` through the CLI: text, JSON, markdown and HTML; offline and forge-less notes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from gitops_promotion.commands.history import history
from gitops_promotion.commands.show import show
from tests.release.builders import HOUR, T0, Repo, context
from tests.release.scenario import busy_repo


@pytest.fixture
def repo(tmp_path: Path) -> Repo:
    return busy_repo(tmp_path)


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_text_table(repo: Repo) -> None:
    result = show(context(repo.work), clock=lambda: T0 + 2 * HOUR)
    header, api, web, worker, *rest = result.lines
    assert header.split() == ["APP", "dev", "qa", "prod"]
    assert api.startswith("apps/api       1.0@sha256:c0ffeec0… (")
    assert "0.9 (" in web and "differs from previous" in web and "behind 1 version" in web
    assert worker.split()[-2:] == ["—", "—"]
    assert rest[:2] == ["", "open pull requests:"]
    assert rest[2].split() == ["#2", "promote", "apps/web", "1.1", "→", "qa", "gate", "closed", "just", "now"]
    assert rest[3].split()[:8] == ["#3", "release", "apps/api", "1.0.1", "→", "prod", "gate", "n/a"]
    assert result.message == "3 apps in 3 environments; 2 open pull requests, 1 with a failed gate"


def test_json_output_is_complete(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "show", "--output", "json", "--sourcedir", str(repo.work), "--provider", "local")
    assert code == 0
    data = json.loads(out)
    assert [e["name"] for e in data["environments"]] == ["dev", "qa", "prod"]
    web = next(a for a in data["apps"] if a["app"] == "web")
    dev = web["cells"][0]
    assert dev["image"] == {"tag": "1.1", "digest": None} and dev["arrived"]["pr"] == 1
    assert dev["files"] == ["apps/dev/web.yaml"]
    assert [h["image"]["tag"] for h in web["history"]] == ["1.0", "1.0", "1.0", "0.9", "1.1"]
    assert web["cells"][2]["lag"] == {"state": "behind", "versions": 1, "since": T0 + HOUR}
    gates = {p["number"]: (p["type"], p["gate"]) for p in data["pending"]}
    assert gates == {2: ("promote", "closed"), 3: ("release", "n/a")}
    assert data["forge"] == "local" and data["notes"] == []


def test_markdown_for_job_summaries(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(
        capsys, "show", "--output", "markdown", "--group", "apps", "--sourcedir", str(repo.work), "--provider", "local"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[:4] == ["### What runs where", "", "| App | dev | qa | prod |", "|---|---|---|---|"]
    assert lines[5].startswith("| apps/web | `1.1` · #1 · ")
    assert "team-b" not in out
    assert "| [#2](local:pr/2) | promote | apps/web | `1.1` | qa | ❌ closed |" in out


def test_html_to_stdout_and_usage_errors(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "show", "--output", "html", "--offline", "--sourcedir", str(repo.work))
    assert code == 0 and out.startswith("<!DOCTYPE html>") and "offline: open pull requests" in out
    code, _out, err = _run(capsys, "show", "--out", "x.html", "--sourcedir", str(repo.work))
    assert code == 2 and "--out is only for --output html" in err
    code, _out, err = _run(capsys, "show", "--group", "../etc", "--offline", "--sourcedir", str(repo.work))
    assert code == 2 and "--group '../etc' is not a valid name" in err


def test_offline_and_unreachable_forge_still_show_the_matrix(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _err = _run(capsys, "show", "--offline", "--sourcedir", str(repo.work))
    assert code == 0 and "apps/web" in out and "open pull requests:" not in out
    assert "note: offline: open pull requests and gates not read" in out
    assert out.rstrip().endswith("3 apps in 3 environments")
    # GitHub without a token or repository: the provider cannot be built; the matrix is still shown
    code, out, _err = _run(capsys, "show", "--provider", "github", "--no-fetch", "--sourcedir", str(repo.work))
    assert code == 0 and "apps/web" in out and "note: no forge (" in out


def test_history_command(repo: Repo, capsys: pytest.CaptureFixture[str]) -> None:
    result = history(context(repo.work), group="apps", app="web", clock=lambda: T0 + 2 * HOUR)
    assert result.lines[0].split() == ["ENV", "TAG", "BEFORE", "PR", "BY", "WHEN", "COMMIT"]
    first = result.lines[1].split()
    assert first[:5] == ["dev", "1.1", "1.0", "#1", "local-reviewer"]  # merged_by read from the forge
    assert result.message == "5 changes of apps/web"
    assert result.data["changes"][0]["pr_url"] == "local:pr/1"
    only_qa = history(context(repo.work), group="apps", app="web", env="qa", offline=True)
    assert [c["image"]["tag"] for c in only_qa.data["changes"]] == ["0.9", "1.0"]
    assert only_qa.data["changes"][0]["author"] == "Dev One" and only_qa.data["changes"][0]["pr"] is None
    code, out, _err = _run(
        capsys,
        "history",
        "--group",
        "apps",
        "--app",
        "web",
        "--env",
        "prod",
        "--sourcedir",
        str(repo.work),
        "--provider",
        "local",
        "--output",
        "json",
    )
    assert code == 0 and json.loads(out)["message"] == "1 change of apps/web in prod"
    code, _out, err = _run(
        capsys,
        "history",
        "--group",
        "apps",
        "--app",
        "web",
        "--env",
        "stage",
        "--sourcedir",
        str(repo.work),
        "--provider",
        "local",
    )
    assert code == 2 and "unknown environment 'stage'" in err


def test_show_displays_the_gate_status_and_reconcile_post(repo: Repo) -> None:
    """Flux is green but dev must soak 5h: `show` says waiting with the same line the gate status carries."""
    from gitops_promotion.providers.local import LocalForge

    forge = LocalForge(repo.remote)
    merge = forge.get_pr(1).merge_commit
    assert merge
    forge.post_status(merge, "kustomization/apps-dev/1a2b3c4d", "success", "healthy again")
    config = repo.work / "gitops-promotion.yaml"
    config.write_text(
        config.read_text().replace("{name: dev, auto: true}", "{name: dev, auto: true, policy: {soak: 5h}}")
    )
    result = show(context(repo.work), output="json")
    pending = {p["number"]: (p["gate"], p["gate_detail"]) for p in result.data["pending"]}
    assert pending[2] == ("waiting", "waiting: soak 5h00m left on dev")
