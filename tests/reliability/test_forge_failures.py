"""Forge failures through the real CLI (issue 14, items 6 and 9): PR creation survives repeated 5xx by looking
the PR up before creating again, and every error tells network, token and permission problems apart."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.reliability import forges, invariants
from tests.reliability.cli_runner import CliRunner
from tests.reliability.conftest import FORGES, ForgeFactory
from tests.reliability.test_bad_input import Case, new, read_only
from tests.reliability.test_bad_input import test_bad_input as run_case

NETWORK = "could not be reached: check the network, proxy and API URL; the token is not the problem"
CASES = [
    Case("unknown token (GitHub)", 1, "did not accept the token", extra={"token": "ghp_" + "0" * 36}),
    Case("unknown token (Azure DevOps)", 1, "did not accept the token", extra={"token": "x" * 52}, kind="azdo"),
    Case("read-only token (GitHub)", 1, "the token is valid but lacks a permission", setup=read_only),
    Case(
        "read-only token (Azure DevOps)", 1, "the token is valid but lacks a permission", setup=read_only, kind="azdo"
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_errors_name_the_matching_fix(case: Case, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    run_case(case, make_forge, cli, tmp_path)


def _dead_url() -> str:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.mark.parametrize("kind", FORGES)
def test_unreachable_forge_is_a_network_error_not_a_token_one(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forge = make_forge(kind, ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    argv = forge.argv()
    dead = _dead_url()
    if kind == "github":
        monkeypatch.setenv("GITHUB_API_URL", dead)
    else:
        argv[argv.index("--api-url") + 1] = dead
    run = cli.run([*new(), "--sourcedir", str(work), *argv])
    assert run.code == 1, run.out + run.err
    assert NETWORK in run.err, run.err
    assert "permission" not in run.err and "did not accept" not in run.err
    assert forge.prs() == []


@pytest.mark.parametrize("kind", FORGES)
def test_pr_creation_failing_past_the_retries_is_looked_up_and_created_again(
    kind: str, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path
) -> None:
    forge = make_forge(kind, ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    if kind == "github":
        forge.fake.fail_next(5, 502, match="POST /repos/acme/gitops/pulls")  # every attempt of one round
    else:
        forge.fake.fault("POST", r"/pullRequests$", 503, times=4)
    run = cli.run([*new(), "--sourcedir", str(work), *forge.argv()])
    assert run.code == 0, run.err
    assert "created branch promote/apps-app000 with pull request" in run.out
    assert len(forge.prs()) == 1
    assert invariants.problems(forge, ["app000"]) == []


def test_doctor_without_network_says_network_not_permission(
    make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    forge = make_forge("github", ["app000"])
    work = forges.checkout(forge, tmp_path / "work")
    monkeypatch.setenv("GITHUB_API_URL", _dead_url())
    run = cli.run(["doctor", "--sourcedir", str(work), *forge.argv()])
    out = run.out + run.err
    assert run.code != 0, out
    assert NETWORK in out, out
    assert "fix the network or the API URL" in out, out
    assert "give the token read access" not in out, out
