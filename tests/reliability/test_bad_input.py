"""Hostile and broken inputs, table-driven: each ends in one ``error:`` line with its exit code, and nothing changes
on disk (checkout, remote refs, files outside the repo) or on the forge (its PRs).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.forge.fixtures import git
from tests.reliability import forges, injection, invariants
from tests.reliability.cli_runner import CliRunner
from tests.reliability.conftest import ForgeFactory, figure

MARKER = '# {"$imagepolicy": "apps:app000"}'
GOOD = forges.MANIFEST.format(app="app000", tag=forges.OLD_TAG)


@dataclass
class World:
    forge: forges.Forge
    work: Path
    outside: Path  # a directory next to the repository that no run may touch
    token: bool = True


@dataclass(frozen=True)
class Case:
    name: str
    code: int
    error: str  # a substring of the single error line
    argv: tuple[str, ...] = ("new", "--group", "apps", "--app", "app000", "--tag", "2.0.0")
    setup: Callable[[World], None] | None = None
    kind: str = "github"
    extra: dict[str, str] = field(default_factory=dict)


def new(tag: str = "2.0.0", group: str = "apps", app: str = "app000", *more: str) -> tuple[str, ...]:
    return ("new", "--group", group, "--app", app, "--tag", tag, *more)


def config(text: str) -> Callable[[World], None]:
    """The local checkout's config file, committed locally (the tool reads it from the checkout)."""

    def setup(world: World) -> None:
        (world.work / "gitops-promotion.yaml").write_text(text)
        git(world.work, "commit", "-q", "-am", "edit config")

    return setup


def pushed(files: dict[str, bytes | str], links: dict[str, str] | None = None) -> Callable[[World], None]:
    """Files (and symlinks: path -> target) committed and pushed to main, as if merged earlier."""

    def setup(world: World) -> None:
        for name, data in files.items():
            path = world.work / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data if isinstance(data, bytes) else data.encode())
        for name, target in (links or {}).items():
            path = world.work / name
            if path.is_dir() and not path.is_symlink():
                git(world.work, "rm", "-r", "-q", name)
            path.unlink(missing_ok=True)
            path.symlink_to(target.format(outside=world.outside))
        git(world.work, "add", "-A")
        git(world.work, "commit", "-q", "-m", "hostile input")
        git(world.work, "push", "-q", "origin", "HEAD:main")

    return setup


def no_default_branch(world: World) -> None:
    """The remote has only `develop`: no main, no HEAD to follow, no default_branch in the config."""
    git(world.work, "push", "-q", "origin", "HEAD:refs/heads/develop")
    git(world.forge.bare, "symbolic-ref", "HEAD", "refs/heads/develop")
    git(world.forge.bare, "update-ref", "-d", "refs/heads/main")
    git(world.forge.bare, "symbolic-ref", "HEAD", "refs/heads/gone")
    git(world.work, "remote", "set-head", "origin", "-d")
    git(world.work, "update-ref", "-d", "refs/remotes/origin/main")


def dirty(world: World) -> None:
    (world.work / forges.manifest_path("dev", "app000")).write_text(GOOD + "# local edit\n")


def push_denied(world: World) -> None:
    injection.queue_push_faults(injection.install_push_hook(world.forge.bare), ["deny"] * 5)


def read_only(world: World) -> None:
    world.forge.set_read_only(True)


def missing_token(world: World) -> None:
    world.token = False


CLEAN: list[str] = []
CASES = [
    # -- config --------------------------------------------------------------------------------------------
    Case("malformed YAML config", 2, "gitops-promotion.yaml:", setup=config("environments: [dev\n")),
    Case("config key unknown", 2, "bogus", setup=config("environments:\n  - name: dev\nbogus: 1\n")),
    Case("config not a mapping", 2, "gitops-promotion.yaml", setup=config("- dev\n- qa\n")),
    Case("config missing", 2, "config file not found", setup=lambda w: (w.work / "gitops-promotion.yaml").unlink()),
    Case("config env path absolute", 2, "relative", setup=config("environments:\n  - name: dev\n    path: /etc\n")),
    Case(
        "config env path escapes", 2, "relative", setup=config("environments:\n  - name: dev\n    path: ../outside\n")
    ),
    Case("config env name with ../", 2, "gitops-promotion.yaml", setup=config("environments:\n  - name: ../dev\n")),
    Case(
        "config env dir missing", 2, "apps/staging/ does not exist", setup=config("environments:\n  - name: staging\n")
    ),
    Case(
        "unknown env",
        2,
        "nosuch",
        argv=(
            "release",
            "--group",
            "apps",
            "--app",
            "app000",
            "--tag",
            "2.0.0",
            "--env",
            "nosuch",
            "--reason",
            "hotfix",
        ),
    ),
    # -- flags ---------------------------------------------------------------------------------------------
    Case("tag with a space", 2, "--tag", argv=new("1.0 beta")),
    Case("tag with a newline", 2, "--tag", argv=new("1.0\nextra")),
    Case("tag with ;", 2, "--tag", argv=new("1.0;rm -rf /")),
    Case("tag with $()", 2, "--tag", argv=new("$(id)")),
    Case("tag with backticks", 2, "--tag", argv=new("`id`")),
    Case("tag with a pipe", 2, "--tag", argv=new("1.0|sh")),
    Case("tag empty", 2, "--tag", argv=new("")),
    Case("tag too long", 2, "--tag", argv=new("v" * 200)),
    Case("digest malformed", 2, "--digest", argv=new("2.0.0", "apps", "app000", "--digest", "sha256:xyz")),
    Case("group with ../", 2, "--group", argv=new(group="../etc")),
    Case("app with ../", 2, "--app", argv=new(app="../../app000")),
    Case("group absolute", 2, "--group", argv=new(group="/etc")),
    Case("app with a slash", 2, "--app", argv=new(app="a/b")),
    Case("sourcedir not a repo", 2, "not a git repository", setup=lambda w: None, extra={"sourcedir": "{outside}"}),
    # -- manifests -----------------------------------------------------------------------------------------
    Case("symlink out of the repo", 2, "symlink", setup=pushed({}, {"apps/dev/evil.yaml": "{outside}/target.yaml"})),
    Case("env dir symlinked out", 2, "symlink", setup=pushed({}, {"apps/dev": "{outside}"})),
    Case("huge file", 2, "too large", setup=pushed({"apps/dev/huge.yaml": GOOD + "#" * (9 * 1024 * 1024) + "\n"})),
    Case("binary file", 2, "apps/dev/bin.yaml", setup=pushed({"apps/dev/bin.yaml": b"\x00\x01" + GOOD.encode()})),
    Case(
        "non-UTF-8", 2, "apps/dev/latin.yaml", setup=pushed({"apps/dev/latin.yaml": GOOD.encode() + b"note: caf\xe9\n"})
    ),
    Case(
        "marker on a map",
        2,
        "apps/dev/map.yaml",
        setup=pushed({"apps/dev/map.yaml": f"image: {MARKER}\n  name: x\n  tag: y\n"}),
    ),
    Case(
        "duplicated marker key",
        2,
        "apps/dev/dup.yaml",
        setup=pushed({"apps/dev/dup.yaml": f"image: a:1 {MARKER}\nimage: b:1 {MARKER}\n"}),
    ),
    Case(
        "broken YAML with a marker",
        2,
        "apps/dev/bad.yaml",
        setup=pushed({"apps/dev/bad.yaml": f"image: [a:1 {MARKER}\n"}),
    ),
    # -- repository and forge ------------------------------------------------------------------------------
    Case("no default branch", 1, "does not exist", setup=no_default_branch),
    Case("uncommitted changes", 1, "uncommitted changes", setup=dirty),
    Case("missing token (GitHub)", 2, "token", setup=missing_token),
    Case("missing token (Azure DevOps)", 2, "token", setup=missing_token, kind="azdo"),
    Case("token unknown to the forge", 1, "401", extra={"token": "ghp_" + "0" * 36}),
    Case("token without push rights (git)", 1, "denied", setup=push_denied),
    Case("token without push rights (git, Azure DevOps)", 1, "denied", setup=push_denied, kind="azdo"),
    Case("token without API write (GitHub)", 1, "403", setup=read_only),
    Case("token without API write (Azure DevOps)", 1, "TF401027", setup=read_only, kind="azdo"),
]


def _tree(root: Path) -> dict[str, str]:
    found = {}
    for top, dirs, files in os.walk(root, followlinks=False):
        dirs[:] = [d for d in dirs if d != ".git"]
        for name in [*files, *[d for d in dirs if Path(top, d).is_symlink()]]:
            path = Path(top, name)
            rel = str(path.relative_to(root))
            found[rel] = f"-> {path.readlink()}" if path.is_symlink() else hashlib.sha256(path.read_bytes()).hexdigest()
    return found


def snapshot(world: World) -> dict[str, object]:
    """Everything a run could change: files in and beside the checkout, both repositories' refs, the PRs."""
    return {
        "work": _tree(world.work),
        "outside": _tree(world.outside),
        # Remote-tracking refs are a cache of the remote (compared below as "remote refs"); promote/* local
        # branches are the tool's scratch branches, reset from the remote on every run.
        "work refs": [
            line
            for line in git(world.work, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
            if not line.startswith(("refs/remotes/", "refs/heads/promote/"))
        ],
        "work head": git(world.work, "rev-parse", "--symbolic-full-name", "HEAD"),
        "remote refs": git(world.forge.bare, "for-each-ref", "--format=%(refname) %(objectname)"),
        "prs": forge_prs(world.forge),
    }


def forge_prs(forge: forges.Forge) -> list[forges.PRView]:
    return forge.prs()


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input(case: Case, make_forge: ForgeFactory, cli: CliRunner, tmp_path: Path) -> None:
    forge = make_forge(case.kind, ["app000"])
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "target.yaml").write_text(GOOD)
    world = World(forge, forges.checkout(forge, tmp_path / "work"), outside)
    if case.setup is not None:
        case.setup(world)
    before = snapshot(world)
    sourcedir = case.extra.get("sourcedir", str(world.work)).format(outside=outside)
    argv = [*case.argv, "--sourcedir", sourcedir, *forge.argv()]
    if "token" in case.extra:
        argv[argv.index("--token") + 1] = case.extra["token"]
    if not world.token:
        index = argv.index("--token")
        del argv[index : index + 2]
    run = cli.run(argv)
    forge.set_read_only(False)
    assert invariants.one_line_error(run.code, run.out, run.err) is None, (run.code, run.out, run.err)
    assert run.code == case.code, run.err
    error = run.err.strip().splitlines()[-1]
    assert case.error in error, error
    assert "\n" not in error
    after = snapshot(world)
    changed = {k: v for k, v in after.items() if before[k] != v}
    assert changed == {}, {k: before[k] for k in changed}
    CLEAN.append(case.name)


def test_case_count() -> None:
    """Runs after the table (file order): how many cases ended cleanly."""
    figure(
        f"[bad input] cases={len(CASES)} clean={len(CLEAN)} (clean: one error line with the expected exit code "
        "and text, nothing changed on disk or on the forge)"
    )
    assert len(CASES) >= 30
