"""The release workflow (.github/workflows/release.yml): its shape (least privilege, trusted publishing, every
action pinned by SHA, a multi-arch image with SBOM and provenance), and its `dist` job replayed here on a copy
of the repository: locked build tools, sdist and wheel, twine check, the wheel installed in a clean venv from
the lock running `demo`, and the release lock. That lock then feeds the Azure template's install step, as an
Azure pipeline would fetch it from the GitHub release."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gitops_promotion import __version__, home
from tests.lockfile import RUNTIME_LOCK, parse_lock

ROOT = Path(__file__).resolve().parent.parent
RELEASE_TEXT = (ROOT / ".github" / "workflows" / "release.yml").read_text()
RELEASE: dict[str, Any] = YAML(typ="safe").load(RELEASE_TEXT)
JOBS: dict[str, Any] = RELEASE["jobs"]
AZURE_STEPS: dict[str, Any] = YAML(typ="safe").load(
    (ROOT / "examples" / "workflows" / "azure" / "templates" / "gitops-promotion.yml").read_text()
)


def _step(job: str, step_id: str) -> dict[str, Any]:
    return next(s for s in JOBS[job]["steps"] if s.get("id") == step_id)


def test_a_v_tag_starts_it_and_nothing_else() -> None:
    # ruamel's safe loader reads the key `on` as True (YAML 1.1); it is the trigger block.
    triggers = RELEASE.get("on", RELEASE.get(True))
    assert triggers == {"push": {"tags": ["v*"]}}


def test_least_privilege_and_no_stored_token() -> None:
    assert RELEASE["permissions"] == {}
    for name, job in JOBS.items():
        assert "permissions" in job, f"job {name} has no permissions block"
    writers = {name: job["permissions"] for name, job in JOBS.items() if "write" in job["permissions"].values()}
    assert writers == {
        "pypi": {"id-token": "write"},  # trusted publishing: OIDC, nothing else
        "image": {"contents": "read", "packages": "write"},
        "action-tag": {"contents": "write"},
        "github-release": {"contents": "write"},
    }
    assert JOBS["dist"]["permissions"] == {"contents": "read"}
    secrets = set(re.findall(r"secrets\.(\w+)", RELEASE_TEXT))
    assert secrets == {"GITHUB_TOKEN"}  # no PyPI token anywhere
    publish = next(s for s in JOBS["pypi"]["steps"] if "gh-action-pypi-publish" in s.get("uses", ""))
    assert "with" not in publish or not ({"password", "user"} & set(publish["with"]))


def test_every_action_is_pinned_by_commit_sha_with_its_version() -> None:
    uses = re.findall(r"uses: (\S+)(.*)", RELEASE_TEXT)
    assert len(uses) >= 10
    for ref, comment in uses:
        assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", ref), ref
        assert re.fullmatch(r" # v\d+\.\d+\.\d+", comment), f"{ref}: say which release the SHA is"


def test_the_image_is_multi_arch_with_attestations_and_both_tags() -> None:
    assert RELEASE["env"]["IMAGE"] == home.IMAGE
    build = next(s for s in JOBS["image"]["steps"] if "build-push-action" in s.get("uses", ""))
    assert build["with"]["platforms"] == "linux/amd64,linux/arm64"
    assert build["with"]["sbom"] is True
    assert build["with"]["provenance"] == "mode=max"
    assert build["with"]["push"] is True
    assert build["with"]["tags"] == "${{ steps.tags.outputs.tags }}"


def test_the_order_publishes_before_the_tag_moves_and_the_release_appears() -> None:
    assert JOBS["pypi"]["needs"] == "dist"
    assert JOBS["image"]["needs"] == "dist"
    assert JOBS["action-tag"]["needs"] == ["pypi", "image"]
    assert JOBS["github-release"]["needs"] == ["action-tag"]
    release = JOBS["github-release"]["steps"][-1]["run"]
    assert "--notes-file release/notes.md" in release
    assert "release/gitops-promotion-$version-requirements.txt" in release


def _run_step(script: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script],
        cwd=cwd,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=900,
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def released(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The `dist` job's run steps on a copy of this checkout (tracked and new files, as a tag checkout has)."""
    tmp = tmp_path_factory.mktemp("release")
    checkout, runner_temp = tmp / "checkout", tmp / "runner-temp"
    runner_temp.mkdir()
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    for name in listed:
        if (ROOT / name).is_file():
            (checkout / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, checkout / name)
    bindir = tmp / "bin"  # the runner's `python` is actions/setup-python's; here, this interpreter
    bindir.mkdir()
    (bindir / "python").symlink_to(sys.executable)
    env = {
        "GITHUB_REF_NAME": f"v{__version__}",
        "GITHUB_SHA": "5eed" * 10,
        "RUNNER_TEMP": str(runner_temp),
        "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
        **RELEASE["env"],
    }
    for step_id in ("notes", "build", "smoke", "lock"):
        _run_step(_step("dist", step_id)["run"], checkout, env)
    return checkout


def test_the_dist_job_builds_checks_installs_and_runs_the_demo(released: Path) -> None:
    dist = sorted(p.name for p in (released / "dist").iterdir())
    assert dist == [f"gitops_promotion-{__version__}-py3-none-any.whl", f"gitops_promotion-{__version__}.tar.gz"]
    notes = (released / "release" / "notes.md").read_text()
    assert notes.strip() and "## [" not in notes
    lock = released / "release" / f"gitops-promotion-{__version__}-requirements.txt"
    pins = parse_lock(lock)
    own = [p for p in pins if p.name == "gitops-promotion"]
    assert len(own) == 1 and own[0].version == __version__ and len(own[0].hashes) == 2
    assert [p for p in pins if p.name != "gitops-promotion"] == parse_lock(RUNTIME_LOCK)
    assert home.release_lock_url().endswith(f"/v{__version__}/{lock.name}")


def test_a_tag_that_does_not_match_the_version_stops_the_release(tmp_path: Path) -> None:
    for name in (".ci/release_notes.py", "gitops_promotion/__init__.py", "CHANGELOG.md"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / name, tmp_path / name)
    proc = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", _step("dist", "notes")["run"]],
        cwd=tmp_path,
        env={**os.environ, "GITHUB_REF_NAME": "v0.0.1"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 1
    assert proc.stderr.startswith(f"tag v0.0.1 does not match __version__ {__version__}")


def test_the_azure_template_installs_the_release_lock(released: Path, tmp_path: Path) -> None:
    """The template's install step, with its `releases` parameter pointing at a local copy of the release
    assets, and pip finding the package in the release's dist/ (as it would on PyPI): every file hash-checked."""
    assets = tmp_path / "releases" / f"v{__version__}"
    assets.mkdir(parents=True)
    name = f"gitops-promotion-{__version__}-requirements.txt"
    shutil.copy2(released / "release" / name, assets / name)
    install = next(s for s in AZURE_STEPS["steps"] if s.get("displayName") == "Install gitops-promotion")
    params = {p["name"]: p.get("default") for p in AZURE_STEPS["parameters"]}
    assert params["version"] == __version__ and params["releases"] == home.RELEASES
    bindir = tmp_path / "bin"  # UsePythonVersion puts `python` on PATH
    bindir.mkdir()
    (bindir / "python").symlink_to(sys.executable)
    env = {
        "AGENT_TEMPDIRECTORY": str(tmp_path / "agent"),
        "VERSION": __version__,
        "RELEASES": (tmp_path / "releases").as_uri(),
        "PIP_FIND_LINKS": f"{released / 'dist'} {os.environ.get('PIP_FIND_LINKS', '')}".strip(),
        "PIP_DISABLE_PIP_VERSION_CHECK": "1",
        "PATH": f"{bindir}{os.pathsep}{os.environ['PATH']}",
    }
    (tmp_path / "agent").mkdir()
    proc = _run_step(install["bash"], tmp_path, env)
    assert proc.stdout.startswith(f"gitops-promotion, version {__version__} (commit {'5eed' * 3})")

    # A wheel that is not the released one (its hash differs) is refused.
    lock = assets / name
    lock.write_text(re.sub(r"(gitops-promotion==\S+) .*", r"\1 --hash=sha256:" + "0" * 64, lock.read_text()))
    shutil.rmtree(tmp_path / "agent")
    (tmp_path / "agent").mkdir()
    bad = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", install["bash"]],
        cwd=tmp_path,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert bad.returncode != 0 and "hash" in bad.stderr.lower()
