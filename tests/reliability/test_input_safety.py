"""Input and safety rules of issue 14 through the real CLI: Kubernetes names, moving tags, durations with a unit,
tokens too short to be real, --force as a flag only, the metadata sha of `new`, and a gate that fails closed."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.secrets import redact
from gitops_promotion.state import parse_state
from tests.forge.fixtures import git
from tests.reliability import forges
from tests.reliability.cli_runner import CliRunner
from tests.reliability.conftest import ForgeFactory
from tests.reliability.test_bad_input import Case, config, new
from tests.reliability.test_bad_input import test_bad_input as run_case

RELEASE = ("release", "--group", "apps", "--app", "app000", "--env", "prod", "--reason", "hotfix")
CASES = [
    Case("group not a DNS label", 2, "--group 'Apps' is not a valid name", argv=new(group="Apps")),
    Case("group of 64 characters", 2, "at most 63 characters", argv=new(group="a" * 64)),
    Case("app with an underscore", 2, "--app 'my_app' is not a valid name", argv=new(app="my_app")),
    Case("moving tag latest", 2, "--tag 'latest' is a moving tag", argv=new("latest")),
    Case("moving tag main (release)", 2, "--tag 'main' is a moving tag", argv=(*RELEASE, "--tag", "main")),
    Case(
        "moving tag stable (rollback --to)",
        2,
        "--to 'stable' is a moving tag",
        argv=("rollback", "--group", "apps", "--app", "app000", "--env", "dev", "--to", "stable"),
    ),
    Case(
        "status timeout without a unit",
        2,
        "--timeout: '30' needs a unit",
        argv=("status", "--branch", "promote/apps-app000", "--timeout", "30"),
    ),
    Case(
        "a later environment's branch is missing",
        1,
        "environment qa (branch: in gitops-promotion.yaml): branch 'nowhere' does not exist on remote 'origin'",
        setup=config(forges.CONFIG.replace("  - name: qa\n", "  - name: qa\n    branch: nowhere\n")),
    ),
    Case("one-character token", 2, "--token (or GITOPS_PROMOTION_TOKEN) holds 1 character(s)", extra={"token": "x"}),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_refused_before_any_change(case: Case, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    run_case(case, make_forge, cli, tmp_path)


def test_moving_tag_opt_in(make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    forge = make_forge("github", ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    run = cli.run([*new("latest"), "--allow-moving-tag", "--sourcedir", str(work), *forge.argv()])
    assert run.code == 0, run.err
    config(forges.CONFIG + "allow_moving_tags: true\n")(_World(work))
    run = cli.run([*new("edge", "apps", "app000"), "--sourcedir", str(work), *forge.argv()])
    assert run.code == 0, run.err
    assert [pr.metadata()["tag"] for pr in forge.prs() if pr.metadata()] == ["edge"]


class _World:
    def __init__(self, work: Path) -> None:
        self.work = work


def test_short_azure_token_is_refused_and_nothing_is_garbled(
    make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forge = make_forge("azdo", ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    monkeypatch.setenv("SYSTEM_ACCESSTOKEN", "x")
    argv = [*new(), "--sourcedir", str(work), "--provider", "azdo", "--api-url", forge.fake.base_url]
    run = cli.run(argv)
    assert run.code == 2
    assert "error: SYSTEM_ACCESSTOKEN holds 1 character(s): too short to be a real token" in run.err
    assert "***" not in run.out + run.err
    assert forge.prs() == []
    # Redaction itself never replaces a short "secret" inside ordinary words.
    assert redact("Max retries exceeded", ["x", "e"]) == "Max retries exceeded"


def test_force_is_read_from_the_flag_only(
    make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forge = make_forge("github", ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    frozen = forges.CONFIG.replace("  - name: prod\n    auto: false\n", "  - name: prod\n    policy: {freeze: true}\n")
    config(frozen)(_World(work))
    argv = [*RELEASE, "--tag", "2.0.0", "--sourcedir", str(work), *forge.argv()]
    monkeypatch.setenv("GITOPS_PROMOTION_FORCE", "1")
    run = cli.run(argv)
    assert run.code == 1, run.err
    assert "prod is frozen" in run.err
    assert forge.prs() == []
    run = cli.run([*argv, "--force"])
    assert run.code == 0, run.err
    (pr,) = forge.prs()
    assert '"forced":true' in pr.body
    # init: the variable does not make it rewrite a file by hand either.
    assert cli.run(["init", "--sourcedir", str(work), "--env", "dev"]).code == 0
    workflow = work / ".github/workflows/gitops-promotion-new.yml"
    workflow.write_text(workflow.read_text() + "# edited by hand\n")
    run = cli.run(["init", "--sourcedir", str(work), "--env", "dev"])
    assert run.code == 0, run.err
    assert "kept .github/workflows/gitops-promotion-new.yml (already there and different" in run.out
    assert workflow.read_text().endswith("# edited by hand\n")


def test_new_writes_the_checkout_head_as_sha(make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    forge = make_forge("github", ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    run = cli.run([*new(), "--sourcedir", str(work), *forge.argv()])
    assert run.code == 0, run.err
    (pr,) = forge.prs()
    state = parse_state(pr.body)
    assert state is not None
    assert state.sha == git(work, "rev-parse", "HEAD")


@pytest.mark.parametrize("kind", ["github", "azdo"])
def test_gate_with_empty_sha_stays_closed_past_the_first_env(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path
) -> None:
    forge = make_forge(kind, ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    # A hand-edited (or Go-tool) PR into prod whose metadata lost its sha.
    body = (
        '<!-- metadata = {"group":"apps","app":"app000","tag":"2.0.0","env":"prod",'
        '"sha":"","feature":"","type":"promote"} -->'
    )
    git(work, "checkout", "-q", "-b", "promote/apps-app000")
    (work / forges.manifest_path("prod", "app000")).write_text(
        forges.MANIFEST.format(app="app000", tag=forges.OLD_TAG).replace("app000:1.0.0", "app000:2.0.0")
    )
    git(work, "commit", "-qam", "prod by hand")
    git(work, "push", "-q", "origin", "promote/apps-app000")
    git(work, "checkout", "-q", "main")
    if kind == "github":
        with forge.fake.state.lock:
            number = forge.fake.state.create_pull(
                title="t", head="promote/apps-app000", base="main", body=body, user="gitops-bot"
            ).number
    else:
        with forge.fake.lock:
            number = forge.fake.state.create(
                {
                    "sourceRefName": "refs/heads/promote/apps-app000",
                    "targetRefName": "refs/heads/main",
                    "title": "t",
                    "description": body,
                }
            ).id
    run = cli.run(["status", "--branch", "promote/apps-app000", "--sourcedir", str(work), *forge.argv()])
    assert run.code == 1, run.out + run.err
    assert f"pull request {number} on promote/apps-app000 promotes into prod but its metadata has no sha" in run.err
    # reconcile composes the same verdict: it posts the gate closed, never open
    run = cli.run(["reconcile", "--sourcedir", str(work), *forge.argv()])
    assert f"closed: PR {number} names no commit of qa (metadata sha)" in run.out + run.err, run.out + run.err
    assert "open: prod is the first environment" not in run.out + run.err
