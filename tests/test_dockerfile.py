"""The container image, tested without Docker (it cannot build here): hadolint (its pip-distributed binary, in
the dev extras) and this project's own rules (base pinned by digest, built from the lock, non-root, no cache
left, tini, safe.directory), and the Dockerfile's own install steps replayed in a fresh venv."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitops_promotion import __version__

ROOT = Path(__file__).resolve().parent.parent
DOCKERFILE = ROOT / "Dockerfile"


@dataclass(frozen=True)
class Instruction:
    keyword: str
    args: str
    line: int


def parse(text: str) -> list[Instruction]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    out: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not pending and (not line or line.startswith("#")):
            continue
        if pending and line.startswith("#"):
            continue  # a comment inside a continued RUN
        if not pending:
            start = number
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        full = (pending + line).strip()
        pending = ""
        keyword, _, args = full.partition(" ")
        out.append(Instruction(keyword.upper(), args.strip(), start))
    return out


def stages(instructions: list[Instruction]) -> list[list[Instruction]]:
    result: list[list[Instruction]] = []
    for ins in instructions:
        if ins.keyword == "FROM":
            result.append([])
        if result:
            result[-1].append(ins)
    return result


def arg_defaults(instructions: list[Instruction]) -> dict[str, str]:
    defaults = {}
    for ins in instructions:
        if ins.keyword == "ARG" and "=" in ins.args:
            name, value = ins.args.split("=", 1)
            defaults[name] = value
    return defaults


INSTRUCTIONS = parse(DOCKERFILE.read_text())
STAGES = stages(INSTRUCTIONS)
FINAL = STAGES[-1]


def _one(stage: list[Instruction], keyword: str) -> Instruction:
    found = [ins for ins in stage if ins.keyword == keyword]
    assert len(found) == 1, f"expected one {keyword} in the final stage, found {len(found)}"
    return found[0]


def test_base_images_are_pinned_by_version_and_digest() -> None:
    defaults = arg_defaults(INSTRUCTIONS)
    for stage in STAGES:
        image = stage[0].args.split()[0]
        image = re.sub(r"\$\{(\w+)\}", lambda m: defaults[m.group(1)], image)
        assert re.fullmatch(r"[\w./-]+:\d+\.\d+\.\d+(-[a-z0-9.-]+)?@sha256:[0-9a-f]{64}", image), (
            f"Dockerfile:{stage[0].line}: {image} is not pinned to an exact release and its digest"
        )


def _hadolint(path: Path) -> subprocess.CompletedProcess[str]:
    tool = Path(sys.executable).parent / "hadolint"
    found = str(tool) if tool.exists() else shutil.which("hadolint")
    assert found, "hadolint is not installed (it is in the dev extras: pip install -e '.[dev]')"
    return subprocess.run(
        [found, "--config", str(ROOT / ".hadolint.yaml"), "--format", "json", str(path)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def test_hadolint_finds_nothing() -> None:
    proc = _hadolint(DOCKERFILE)
    assert proc.returncode == 0 and json.loads(proc.stdout or "[]") == [], proc.stdout + proc.stderr


def test_hadolint_really_lints(tmp_path: Path) -> None:
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install click\nRUN cd /tmp && ls\n")
    proc = _hadolint(bad)
    codes = {finding["code"] for finding in json.loads(proc.stdout)}
    assert proc.returncode == 1
    assert {"DL3007", "DL3013", "DL3042"} <= codes  # latest tag, unpinned pip, pip cache kept


def test_the_build_installs_from_the_lock() -> None:
    """Every pip install in the build reads a hash-pinned lock, except the wheel just built (no dependencies)."""
    run = " ".join(ins.args for ins in STAGES[0] if ins.keyword == "RUN")
    installs = re.split(r"(?=-m pip install)", run)[1:]
    assert len(installs) == 3
    locked = [i for i in installs if "--require-hashes" in i and "--no-deps" in i]
    assert {re.search(r"-r (\S+)", i).group(1) for i in locked} == {"requirements.txt", "requirements/build.txt"}  # type: ignore[union-attr]
    wheel = next(i for i in installs if i not in locked)
    assert "--no-deps /dist/" in wheel
    assert "-m build --no-isolation" in run  # the build backend comes from the lock, not from the index
    copied = {source for sources, _ in _build_copies() for source in sources}
    assert {"requirements.txt", "requirements/build.txt"} <= copied


def test_git_accepts_the_mounted_checkout() -> None:
    run = " ".join(ins.args for ins in FINAL if ins.keyword == "RUN")
    assert "git config --system --add safe.directory '*'" in run


def test_runs_as_a_non_root_user() -> None:
    user = _one(FINAL, "USER").args.split(":")[0]
    assert user not in {"root", "0"}
    assert int(user) >= 1000  # a numeric uid: Kubernetes' runAsNonRoot can verify it


def test_tini_is_pid_1_and_the_cli_is_the_entrypoint() -> None:
    entrypoint = _one(FINAL, "ENTRYPOINT").args
    assert entrypoint.startswith("["), "exec form, so signals reach tini"
    assert entrypoint == '["/usr/bin/tini", "--", "gitops-promotion"]'
    assert any("tini" in ins.args for ins in FINAL if ins.keyword == "RUN")


def test_workspace_is_the_working_directory_like_the_go_tools_image() -> None:
    assert _one(FINAL, "WORKDIR").args == "/workspace"


def test_no_remote_add_and_lean_apt() -> None:
    for ins in INSTRUCTIONS:
        assert ins.keyword != "ADD", f"line {ins.line}: use COPY (ADD fetches URLs and unpacks archives)"
        if ins.keyword == "RUN" and "apt-get install" in ins.args:
            assert "--no-install-recommends" in ins.args
            assert "rm -rf /var/lib/apt/lists/*" in ins.args
        if ins.keyword == "RUN" and "pip install" in ins.args:
            assert "--no-cache-dir" in ins.args  # no pip cache baked into a layer


def _glob_regex(pattern: str) -> re.Pattern[str]:
    """Go's filepath.Match plus Docker's '**' (any number of directories)."""
    parts = re.split(r"(\*\*|\*|\?)", pattern)
    table = {"**": ".*", "*": "[^/]*", "?": "[^/]"}
    return re.compile("".join(table.get(part, re.escape(part)) for part in parts))


def _dockerignore_excludes(path: str) -> bool:
    """Docker's rule: the last matching pattern wins; '!' re-includes."""
    excluded = False
    for raw in (ROOT / ".dockerignore").read_text().splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        negate = pattern.startswith("!")
        regex = _glob_regex(pattern.lstrip("!").rstrip("/"))
        parents = [path[:i] for i, char in enumerate(path) if char == "/"]
        if any(regex.fullmatch(candidate) for candidate in (path, *parents)):
            excluded = not negate
    return excluded


def _build_copies() -> list[tuple[list[str], str]]:
    """(sources, destination) of each COPY in the build stage."""
    copies = []
    for ins in STAGES[0]:
        if ins.keyword == "COPY":
            *sources, dest = shlex.split(ins.args)
            copies.append((sources, dest))
    return copies


def test_the_build_context_holds_what_the_copies_need() -> None:
    for sources, _dest in _build_copies():
        for source in sources:
            assert (ROOT / source).exists(), source
            assert not _dockerignore_excludes(source), f"{source} is excluded by .dockerignore"
    assert _dockerignore_excludes("tests/conftest.py")
    assert _dockerignore_excludes(".venv/bin/python")
    assert _dockerignore_excludes("gitops_promotion/__pycache__/cli.cpython-311.pyc")
    assert not _dockerignore_excludes("gitops_promotion/templates/github-new.yml")


@pytest.mark.slow
def test_install_steps_in_a_fresh_venv(tmp_path: Path) -> None:
    """Slow-ish (about 10 s from a warm pip cache; needs the package index): the build stage's COPY and RUN
    replayed into a temporary venv, then the installed (not editable) CLI runs, templates included."""
    src, venv = tmp_path / "src", tmp_path / "venv"
    for sources, dest in _build_copies():
        target = src / dest.removeprefix("/src").lstrip("./")
        for source in sources:
            origin = ROOT / source
            if origin.is_dir():
                shutil.copytree(
                    origin,
                    target if len(sources) == 1 else target / origin.name,
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
                )
            else:
                target.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin, target / origin.name)
    # As the release does, the build names its commit (--version shows it).
    (src / "gitops_promotion" / "_build_commit.py").write_text('COMMIT = "' + "c0ffee" * 6 + 'c0ff"\n')
    run = next(ins for ins in STAGES[0] if ins.keyword == "RUN")
    script = run.args
    for path, local in {
        "/opt/gitops-promotion": venv,
        "/opt/build": tmp_path / "build",
        "/dist": tmp_path / "dist",
        "/src": src,
    }.items():
        script = script.replace(path, str(local))
    # The image must not keep pip's cache; the test reuses the machine's warm cache to stay fast.
    script = script.replace("python -m venv", f"{shlex.quote(sys.executable)} -m venv")
    script = script.replace(" --no-cache-dir", "")
    proc = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script], capture_output=True, text=True, check=False, timeout=600, cwd=src
    )
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-4000:]
    cli = venv / "bin" / "gitops-promotion"
    version = subprocess.run([str(cli), "--version"], capture_output=True, text=True, check=True, timeout=60)
    assert version.stdout.strip() == f"gitops-promotion, version {__version__} (commit {'c0ffee' * 2})"
    where = "import gitops_promotion; print(gitops_promotion.__file__)"
    site = subprocess.run(
        [str(venv / "bin" / "python"), "-c", where],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=tmp_path,
    ).stdout.strip()
    assert str(src) not in site and str(ROOT) not in site, "installed, not linked to the sources"
    repo = tmp_path / "gitops"
    (repo / "apps" / "dev").mkdir(parents=True)
    (repo / "apps" / "prod").mkdir(parents=True)
    init = subprocess.run(
        [str(cli), "init", "--sourcedir", str(repo), "--default-branch", "main"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert init.returncode == 0, init.stderr
    assert (repo / ".github/workflows/gitops-promotion-status.yml").exists()  # package data shipped


@pytest.mark.parametrize("text", ["FROM python:3.12-slim\n", "FROM python:latest\n", "FROM python\n"])
def test_the_pin_check_rejects_floating_tags(text: str) -> None:
    image = parse(text)[0].args
    assert not re.search(r":\d+\.\d+\.\d+(-[a-z0-9.-]+)?$", image)
