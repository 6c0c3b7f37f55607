"""docs/getting-started.md cannot rot: its commands run, or are checked, and its paths exist.

Fenced ```sh blocks preceded by ``<!-- guide-test: run TRACK... -->`` are run with bash, in order, per track
(github, azure, local), in a sandbox made like the guide's: a Flux repository ``gitops`` (bare remote + clone)
beside an application checkout ``my-app``, with the real CLI on PATH. Every other ```sh block talks to a forge
or a cluster: each of its commands must be one the test knows how to check (the CLI's own commands parse, paths
exist in what `init` wrote, `gh workflow run` / `az pipelines run` are exactly what `init` prints, the variables
and secrets the workflows read are the ones the guide sets), and anything else fails the test.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import click
import pytest
from ruamel.yaml import YAML

from gitops_promotion import guide, home
from gitops_promotion.checks import GATE_CONTEXT, STATUS_JOB_NAME
from gitops_promotion.cli import cli
from gitops_promotion.commands.app_repo import APP_TARGETS
from gitops_promotion.commands.demo import DEPLOYMENT, KUSTOMIZATION
from gitops_promotion.commands.init import TARGETS
from tests.conftest import git
from tests.forge.fixtures import github_schemas
from tests.forge.github_schema import GitHubSchemas

__all__ = ["github_schemas"]  # the session fixture, imported so pytest finds it here

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / guide.GUIDE_PATH
TEXT = GUIDE.read_text(encoding="utf-8")
BIN = Path(sys.executable).parent
ACTION_SHA = "0123456789abcdef0123456789abcdef01234567"
_FENCE = re.compile(r"(?:<!-- guide-test: run (?P<tracks>[a-z ]+) -->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S)
FLUX_KUSTOMIZATION = """\
apiVersion: kustomize.toolkit.fluxcd.io/v1
kind: Kustomization
metadata:
  name: apps-{env}
  namespace: flux-system
spec:
  interval: 1m
  path: ./apps/{env}
  prune: true
  sourceRef:
    kind: GitRepository
    name: flux-system
"""


@dataclass(frozen=True)
class Block:
    lang: str
    body: str
    tracks: tuple[str, ...]  # empty: a block that is checked, not run


def blocks() -> list[Block]:
    return [Block(m["lang"], m["body"], tuple((m["tracks"] or "").split())) for m in _FENCE.finditer(TEXT)]


def commands(body: str) -> Iterator[list[str]]:
    """Each command of a shell block as argv (continuations joined, comments dropped, split at && and |)."""
    for line in body.replace("\\\n", " ").splitlines():
        words = shlex.split(line, comments=True)
        current: list[str] = []
        redirected = False
        for word in [*words, "&&"]:
            if word in {"&&", "||", "|", ";"}:
                if current:
                    yield current
                current = []
            elif word in {"<", ">"}:
                redirected = True  # the next word is the redirect's file, not an argument
            elif redirected:
                redirected = False
            else:
                current.append(word)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lowercase, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


# -- the sandbox the runnable blocks play in -----------------------------------------------------------------
def make_sandbox(root: Path) -> None:
    remote, work = root / "gitops.git", root / "gitops"
    git(root, "init", "-q", "--bare", "-b", "main", str(remote))
    git(root, "clone", "-q", str(remote), str(work))
    for env in ("dev", "qa", "prod"):
        (work / "apps" / env).mkdir(parents=True)
        (work / "apps" / env / "podinfo.yaml").write_text(DEPLOYMENT.format(sidecar="1.0"))
        (work / "apps" / env / "kustomization.yaml").write_text(KUSTOMIZATION)
        (work / "clusters" / env).mkdir(parents=True)
        (work / "clusters" / env / "apps.yaml").write_text(FLUX_KUSTOMIZATION.format(env=env))
    flux_yaml = next(b.body for b in blocks() if b.lang == "yaml" and "kind: Provider" in b.body)
    (work / "clusters" / "dev" / "commit-status.yaml").write_text(flux_yaml)  # step 2, as the guide says
    git(work, "add", ".")
    git(work, "-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "Flux repository")
    git(work, "push", "-q", "origin", "HEAD:refs/heads/main")
    git(work, "remote", "set-head", "origin", "main")
    git(root, "init", "-q", "-b", "main", str(root / "my-app"))
    (root / "home").mkdir()


def run_track(root: Path, track: str) -> str:
    script = "\n".join(["set -euo pipefail", *(b.body for b in blocks() if track in b.tracks)])
    keep = {"LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    environ = {k: v for k, v in os.environ.items() if k in keep}
    environ.update(
        PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}",
        HOME=str(root / "home"),
        ACTION_SHA=ACTION_SHA,
        GIT_AUTHOR_NAME="Reader",
        GIT_AUTHOR_EMAIL="reader@example.invalid",
        GIT_COMMITTER_NAME="Reader",
        GIT_COMMITTER_EMAIL="reader@example.invalid",
    )
    proc = subprocess.run(
        ["bash", "-c", script], cwd=root, env=environ, capture_output=True, text=True, check=False, timeout=300
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{track} track failed:\n{output}"
    return output


class Tracks:
    """Each track's sandbox and output, run once per module and on first use (a broken track fails only the
    tests that read it)."""

    def __init__(self, factory: pytest.TempPathFactory) -> None:
        self.factory = factory
        self.done: dict[str, tuple[Path, str]] = {}

    def __getitem__(self, track: str) -> tuple[Path, str]:
        if track not in self.done:
            root = self.factory.mktemp(track)
            make_sandbox(root)
            self.done[track] = (root, run_track(root, track))
        return self.done[track]


@pytest.fixture(scope="module")
def tracks(tmp_path_factory: pytest.TempPathFactory) -> Tracks:
    return Tracks(tmp_path_factory)


# -- the runnable blocks --------------------------------------------------------------------------------------
def test_every_track_has_runnable_blocks() -> None:
    runnable = {track for b in blocks() for track in b.tracks}
    assert runnable == {"github", "azure", "local"}
    assert all(b.lang == "sh" for b in blocks() if b.tracks)


def test_the_github_and_azure_steps_run_as_written(tracks: Tracks) -> None:
    for track, written in (("github", ".github/workflows"), ("azure", "azure-pipelines")):
        root, output = tracks[track]
        assert "apps/dev/podinfo.yaml:" in output  # step 1's check finds the markers
        assert "doctor: ready to promote" in output, output
        assert "[FAIL]" not in output
        assert (root / "gitops" / written).is_dir()
        pushed = git(root / "gitops.git", "ls-tree", "-r", "--name-only", "main")
        assert "gitops-promotion.yaml" in pushed and written in pushed  # step 5's push reached the remote


def test_the_playground_walks_a_promotion_by_hand(tracks: Tracks) -> None:
    _, output = tracks["local"]
    assert "demo complete" in output
    assert "merged pull request 4 into main" in output
    assert "posted kustomization/apps-dev/local = success" in output
    assert "created branch promote/apps-podinfo with pull request 5" in output
    assert "successful reconciliation for apps-dev" in output


def test_the_first_promotion_lines_are_what_init_prints(tracks: Tracks) -> None:
    for track in ("github", "azure"):
        printed = [
            line.split("first promotion, by hand: ", 1)[1]
            for line in tracks[track][1].splitlines()
            if "first promotion, by hand: " in line
        ]
        assert printed, tracks[track][1]
        printed += [line for line in tracks[track][1].splitlines() if line.startswith("az pipelines create ")]
        for line in printed:
            assert line in TEXT, f"the guide does not show init's line: {line}"


# -- every path the guide names ---------------------------------------------------------------------------------
_PATH = re.compile(r"(?:\.\./my-app/)?(?:\.github|azure-pipelines|apps|clusters|docs|examples)/[\w./-]*[\w/]")


def test_every_path_in_the_guide_exists(tracks: Tracks) -> None:
    places = [ROOT] + [tracks[t][0] / "gitops" for t in ("github", "azure")]
    paths = sorted(set(_PATH.findall(TEXT)))
    assert ".github/workflows/gitops-promotion-status.yml" in paths and "azure-pipelines/app-pipeline.yml" in TEXT
    missing = [p for p in paths if not any((place / p.removesuffix("@gitops")).exists() for place in places)]
    assert missing == []
    # and every file init writes is named, so the guide says what lands where
    # (the guide walks GitHub and Azure DevOps; GitLab and Gitea name their example files, checked above)
    guided = ("github", "azure")
    written = {d for p in guided for d in TARGETS[p].values()} | {d for _, d in APP_TARGETS.values()}
    assert written <= {p.removeprefix("../my-app/") for p in paths}


# -- the blocks that need a forge or a cluster: checked command by command -----------------------------------
_KNOWN = {
    "gh": {
        ("variable", "set"),
        ("secret", "set"),
        ("variable", "list"),
        ("secret", "list"),
        ("repo", "edit"),
        ("api",),
        ("workflow", "run"),
        ("pr", "list"),
        ("pr", "checks"),
    },
    "az": {("pipelines", "create"), ("pipelines", "run"), ("repos", "policy"), ("repos", "pr")},
    "kubectl": {("-n",)},
    "pip": {("install",)},
    "git": {("ls-remote",), ("tag",), ("push",), ("rev-parse",)},
    "gitops-promotion": set(),
    "flux": {("reconcile",)},
}


def checked_commands() -> list[list[str]]:
    return [argv for b in blocks() if b.lang == "sh" and not b.tracks for argv in commands(b.body)]


def test_every_checked_command_is_one_the_test_knows() -> None:
    for argv in checked_commands():
        tool = argv[0]
        assert tool in _KNOWN, f"the guide runs {tool}, which this test cannot check: {argv}"
        if tool != "gitops-promotion":
            assert any(tuple(argv[1 : 1 + len(k)]) == k for k in _KNOWN[tool]), argv


def test_the_cli_commands_of_the_guide_parse() -> None:
    every = [argv for b in blocks() if b.lang == "sh" for argv in commands(b.body) if argv[0] == "gitops-promotion"]
    assert len(every) > 10
    for argv in every:
        args = argv[1:]
        if args == ["--version"]:
            continue
        ctx = click.Context(cli)
        command = cli.get_command(ctx, args[0])
        assert command is not None, argv
        rest = args[1:]
        if isinstance(command, click.Group):
            command = command.get_command(ctx, rest[0])
            assert command is not None, argv
            rest = rest[1:]
        command.make_context(args[0], list(rest), parent=ctx)  # raises on an unknown or bad option


def test_pip_installs_this_project() -> None:
    installs = [argv for argv in checked_commands() if argv[:2] == ["pip", "install"]]
    assert installs == [["pip", "install", home.PYPI_NAME]]
    assert re.search(rf'^name = "{home.PYPI_NAME}"$', (ROOT / "pyproject.toml").read_text(), re.M)


def test_azure_pipelines_created_are_the_ones_init_writes(tracks: Tracks) -> None:
    created = [argv for argv in checked_commands() if argv[:3] == ["az", "pipelines", "create"]]
    names = {argv[argv.index("--name") + 1]: argv[argv.index("--yml-path") + 1] for argv in created}
    assert set(names.values()) == {d for d in TARGETS["azure"].values() if "templates/" not in d}
    for name, path in names.items():
        assert path == f"azure-pipelines/{name}.yml"
        assert (tracks["azure"][0] / "gitops" / path).exists()
    policy = next(argv for argv in checked_commands() if argv[:4] == ["az", "repos", "policy", "build"])
    assert policy[policy.index("--display-name") + 1] == STATUS_JOB_NAME


def test_branch_protection_requires_the_status_check() -> None:
    body = next(b.body for b in blocks() if b.lang == "json")
    assert json.loads(body)["required_status_checks"]["contexts"] == [GATE_CONTEXT]
    assert f"`{GATE_CONTEXT}`" in TEXT


def test_the_guide_sets_every_variable_and_secret_the_workflows_read(tracks: Tracks) -> None:
    set_in: dict[str, set[str]] = {}
    for argv in checked_commands():
        if argv[:3] in (["gh", "variable", "set"], ["gh", "secret", "set"]):
            kind = "vars" if argv[1] == "variable" else "secrets"
            repo = argv[argv.index("--repo") + 1].split("/")[1]
            set_in.setdefault(repo, set()).add(f"{kind}.{argv[3]}")
    root = tracks["github"][0]
    files = {
        "gitops": sorted((root / "gitops" / ".github/workflows").glob("*.yml")),
        "my-app": sorted((root / "my-app" / ".github/workflows").glob("*.yml")),
    }
    for repo, paths in files.items():
        assert paths
        read = {m for p in paths for m in re.findall(r"\b(?:vars|secrets)\.[A-Z_]+", p.read_text())}
        assert read <= set_in.get(repo, set()), (repo, read - set_in.get(repo, set()))


def test_the_flux_objects_post_statuses_the_gate_reads() -> None:
    docs = [d for b in blocks() if b.lang == "yaml" for d in YAML(typ="safe").load_all(b.body)]
    kinds = {d["kind"]: d for d in docs}
    provider, alert = kinds["Provider"], kinds["Alert"]
    assert provider["apiVersion"] == alert["apiVersion"] == "notification.toolkit.fluxcd.io/v1beta3"
    assert provider["spec"]["type"] == "github" and provider["spec"]["secretRef"]["name"]
    assert alert["spec"]["providerRef"]["name"] == provider["metadata"]["name"]
    assert alert["spec"]["eventSeverity"] == "info"  # success events are info: "error" would post failures only
    assert alert["spec"]["eventSources"] == [{"kind": "Kustomization", "name": "apps-dev"}]  # <group>-<env>


# -- sections and Troubleshooting -----------------------------------------------------------------------------
def test_doctor_links_point_at_headings_of_the_guide() -> None:
    anchors = {slug(h) for h in re.findall(r"^#{2,3} (.+)$", TEXT, re.M)}
    sections = {guide.LAYOUT, guide.FLUX, guide.CREDENTIALS, guide.SETTINGS, guide.INIT, guide.APP_REPO}
    sections |= {guide.FIRST, guide.TROUBLESHOOTING}
    assert sections <= anchors, sections - anchors
    assert "try-it-locally" in anchors


def test_troubleshooting_is_keyed_by_messages_the_tool_prints() -> None:
    section = TEXT.split("## Troubleshooting", 1)[1]
    keys = re.findall(r'^### "(.+)"$', section, re.M)
    assert len(keys) >= 8
    source = "\n".join(p.read_text() for p in (ROOT / "gitops_promotion").rglob("*.py"))
    for key in keys:
        fixed = [part for part in key.split("...") if part.strip()]
        assert all(part.strip() in source for part in fixed), f"no message contains {key!r}"
    for needed in ("timed out after", "no Flux status yet", "clean status", "token can push", "auto-merge allowed"):
        assert any(needed in key for key in keys), needed


def test_every_gh_api_call_is_a_request_github_accepts(github_schemas: GitHubSchemas) -> None:
    """Checked against GitHub's published OpenAPI description, as the fake forge checks the tool's requests."""
    calls = [argv for argv in checked_commands() if argv[:2] == ["gh", "api"]]
    assert len(calls) >= 3
    body = next(b.body for b in blocks() if b.lang == "json").encode()
    for argv in calls:
        method = argv[argv.index("--method") + 1] if "--method" in argv else "GET"
        path = next(a for a in argv[2:] if a.startswith("repos/"))
        path = "/" + path.replace("$(git rev-parse HEAD)", "a" * 40)
        data = body if "--input" in argv else b""
        assert github_schemas.request_violations(method, path, {}, data, "application/json") == [], argv
    # and the check really checks: a misspelt key is refused
    broken = body.replace(b'"contexts"', b'"context"')
    path = "/repos/OWNER/gitops/branches/main/protection"
    assert github_schemas.request_violations("PUT", path, {}, broken, "application/json")
