"""A recognisable fake token through every failure path: it must never appear in stdout, stderr, log records,
files written, commits or PR texts. The only lines allowed to carry it are the CI runners' own masking commands
(``::add-mask::``, ``##vso[task.setsecret]``), which the runner consumes and never shows.
"""

from __future__ import annotations

import logging
import os
import random
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.forge.fixtures import git
from tests.reliability import forges, injection
from tests.reliability.cli_runner import CliRunner, Run
from tests.reliability.conftest import FORGES, TOKEN, ForgeFactory, figure

CLEAN: list[tuple[str, str]] = []
MASK_COMMANDS = ("::add-mask::", "##vso[task.setsecret]")
NEW = ["new", "--group", "apps", "--app", "app000", "--tag", "2.0.0"]


@dataclass
class Scene:
    forge: forges.Forge
    work: Path
    root: Path
    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)


def _bug(scene: Scene) -> None:
    """An SDK failing in a way nobody planned for, with the credential in its message (exit 3, traceback)."""

    def explode() -> None:
        msg = f"connection pool broke while sending Authorization: token {TOKEN}"
        raise RuntimeError(msg)

    injection.PROVIDER_HOOKS["create_pr"] = explode


def _api_down(scene: Scene) -> None:
    scene.forge.set_plan(forges.FaultPlan(random.Random(1), error_5xx=1.0))


def _push_url_with_token(scene: Scene) -> None:
    """A push URL carrying the token (as some CI set-ups write it) that fails: git echoes the URL."""
    git(
        scene.work,
        "remote",
        "set-url",
        "--push",
        "origin",
        f"http://x-access-token:{TOKEN}@127.0.0.1:9/acme/gitops.git",
    )


def _fetch_url_with_token(scene: Scene) -> None:
    git(scene.work, "remote", "set-url", "origin", f"http://x-access-token:{TOKEN}@127.0.0.1:9/acme/gitops.git")


def _token_from_env(scene: Scene) -> None:
    index = scene.argv.index("--token")
    del scene.argv[index : index + 2]
    scene.env["GITHUB_TOKEN" if scene.forge.name == "github" else "AZURE_DEVOPS_EXT_PAT"] = TOKEN


def _github_actions(scene: Scene) -> None:
    scene.env.update(
        {
            "GITHUB_ACTIONS": "true",
            "GITHUB_OUTPUT": str(scene.root / "gh-output"),
            "GITHUB_STEP_SUMMARY": str(scene.root / "gh-summary"),
            "GITHUB_EVENT_NAME": "push",
        }
    )


def _azure_pipelines(scene: Scene) -> None:
    scene.env.update({"TF_BUILD": "True"})


def _json(scene: Scene) -> None:
    scene.argv += ["--output", "json"]


def _verbose(scene: Scene) -> None:
    scene.argv.append("-v")


def _both(*steps: Callable[[Scene], None]) -> Callable[[Scene], None]:
    def setup(scene: Scene) -> None:
        for step in steps:
            step(scene)

    return setup


PATHS: dict[str, Callable[[Scene], None]] = {
    "success": lambda scene: None,
    "success -v, token from env": _both(_verbose, _token_from_env),
    "API 5xx until retries give up": _api_down,
    "API 5xx, json output": _both(_api_down, _json),
    "forge rejects the token (401)": lambda scene: None,  # set up in the test: the fake knows another token
    "push URL with the token fails": _push_url_with_token,
    "push URL with the token fails -v": _both(_push_url_with_token, _verbose),
    "fetch URL with the token fails": _fetch_url_with_token,
    "unexpected exception -v (traceback)": _both(_bug, _verbose),
    "unexpected exception, GitHub Actions": _both(_bug, _github_actions),
    "API 5xx, GitHub Actions": _both(_api_down, _github_actions),
    "API 5xx, Azure Pipelines": _both(_api_down, _azure_pipelines),
}


def _files(root: Path) -> dict[Path, float]:
    found = {}
    for top, _dirs, names in os.walk(root):
        for name in names:
            path = Path(top, name)
            found[path] = path.stat().st_mtime
    return found


def _objects(repo: Path) -> bytes:
    """Every git object's content, decompressed (commit messages, trees, blobs)."""
    done = subprocess.run(
        ["git", "cat-file", "--batch-all-objects", "--batch"], cwd=repo, capture_output=True, check=True
    )
    return done.stdout


def _leaks(text: str) -> list[str]:
    return [line for line in text.splitlines() if TOKEN in line and not line.startswith(MASK_COMMANDS)]


@pytest.mark.parametrize("kind", FORGES)
@pytest.mark.parametrize("path", list(PATHS))
def test_token_never_leaks(
    *,
    kind: str,
    path: str,
    make_forge: ForgeFactory,
    cli: CliRunner,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    forge_token = "ghp_" + "1" * 36 if "401" in path else TOKEN
    forge = make_forge(kind, ["app000"], token=forge_token)
    scene = Scene(forge, forges.checkout(forge, tmp_path / "work"), tmp_path, [*NEW])
    scene.argv += [*forge.argv()]
    scene.argv[scene.argv.index("--token") + 1] = TOKEN
    PATHS[path](scene)
    for key, value in scene.env.items():
        monkeypatch.setenv(key, value)
    scene.argv += ["--sourcedir", str(scene.work)]
    before = _files(tmp_path)
    caplog.set_level(logging.DEBUG)  # every log call, the libraries' too, is rendered and checked
    run: Run = cli.run(scene.argv)
    forge.set_plan(None)

    expect_ok = path.startswith("success")
    assert (run.code == 0) == expect_ok, (run.code, run.out, run.err)
    assert _leaks(run.out) == [], run.out
    assert _leaks(run.err) == [], run.err
    assert [r.getMessage() for r in caplog.records if TOKEN in r.getMessage()] == []
    written = [p for p, mtime in _files(tmp_path).items() if before.get(p) != mtime]
    for file in written:
        if file.parent.name == "objects" or "/objects/" in str(file):
            continue  # compressed; read back through git below
        data = file.read_bytes()
        if file == scene.work / ".git" / "config":
            continue  # the test itself wrote the token into the push URL there
        assert TOKEN.encode() not in data, file
    for repo in (forge.bare, scene.work):
        assert TOKEN.encode() not in _objects(repo), f"a commit, tree or blob in {repo} carries the token"
    assert not any(TOKEN in text for text in forge.texts()), "a PR title or body carries the token"
    if "unexpected" in path:
        assert run.code == 3
    if path.endswith("-v (traceback)"):
        assert "Traceback" in run.err  # the traceback is shown, redacted
    if "GitHub Actions" in path:
        assert any(line.startswith("::add-mask::") for line in run.out.splitlines())
    CLEAN.append((kind, path))


def test_paths_count() -> None:
    """Runs after the parametrized test (file order): how many paths kept the token out of everything."""
    figure(
        f"[secrets] paths={len(PATHS)} forges={len(FORGES)} runs_without_leak={len(CLEAN)} "
        "(checked: stdout, stderr, log records, files written, git objects, PR titles and bodies)"
    )
