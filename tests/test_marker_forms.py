"""A `:tag` marker on a full image reference is refused by every command that writes markers, read as the
reference it is by `show`, and listed line by line by `doctor` (issue 14.3). All through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from gitops_promotion.providers.local import LocalForge
from tests.conftest import git
from tests.e2e.steps import run_cli
from tests.registry.gitops_repo import make_repo, state_of

WRONG = 'image: registry.local:5000/tools/sidecar:1.0 # {"$imagepolicy": "apps:sidecar:tag"}\n'
RIGHT = 'image: registry.local:5000/tools/sidecar:1.0 # {"$imagepolicy": "apps:sidecar"}\n'
APP = ["--group", "apps", "--app", "sidecar"]
HINT = '{"$imagepolicy": "apps:sidecar"}'
CONFIG = """\
environments:
  - name: dev
  - name: qa
  - name: prod
groups:
  apps:
    applications:
      sidecar: {featureOverwrite: true}
"""


def _repo(tmp_path: Path, dev: str = WRONG, qa: str = WRONG, prod: str = WRONG) -> tuple[Path, Path, list[str]]:
    files = {"apps/dev/s.yaml": "kind: Pod\n" + dev, "apps/qa/s.yaml": qa, "apps/prod/s.yaml": "# prod\n" + prod}
    remote, work = make_repo(tmp_path, files, CONFIG)
    return remote, work, ["--sourcedir", str(work), "--provider", "local"]


@pytest.mark.parametrize(
    ("argv", "where"),
    [
        (["new", *APP, "--tag", "1.1"], "apps/dev/s.yaml:2"),
        (["release", *APP, "--tag", "1.1", "--env", "prod"], "apps/prod/s.yaml:2"),
        (["rollback", *APP, "--env", "qa", "--to", "0.9"], "apps/qa/s.yaml:1"),
        (["feature", *APP, "--tag", "1.1", "--feature", "login"], "apps/dev/s.yaml:2"),
    ],
)
def test_commands_refuse_a_tag_marker_on_a_full_reference(
    argv: list[str], where: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    remote, work, src = _repo(tmp_path)
    before = state_of(remote, work)

    code, out = run_cli(capsys, {}, [*argv, *src])

    assert code == 2, out
    assert f"{where}: " in out and "marks the full image reference" in out and HINT in out
    assert state_of(remote, work) == before
    assert LocalForge(remote).list_open_prs("") == []


def test_promote_refuses_it_in_the_next_environment(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    remote, work, src = _repo(tmp_path, dev=RIGHT)
    code, out = run_cli(capsys, {}, ["new", *APP, "--tag", "1.1", *src])
    assert code == 0, out
    merged = LocalForge(remote).merge(1)
    git(work, "fetch", "--quiet", "origin")
    git(work, "checkout", "--quiet", "-B", "main", "origin/main")
    before = state_of(remote, work)

    code, out = run_cli(capsys, {}, ["promote", "--sha", merged, "--branch", "main", *src])

    assert code == 2, out
    assert "apps/qa/s.yaml:1: " in out and HINT in out
    assert state_of(remote, work) == before


def test_set_image_refuses_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "deploy.yaml").write_text("# x\n" + WRONG)
    code, out = run_cli(capsys, {}, ["set-image", *APP, "--tag", "1.1", "deploy.yaml"])
    assert code == 2, out
    assert "deploy.yaml:2: " in out and HINT in out
    assert (tmp_path / "deploy.yaml").read_text() == "# x\n" + WRONG


def test_show_reads_the_tag_inside_the_reference(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _remote, _work, src = _repo(tmp_path)
    code, out = run_cli(capsys, {}, ["show", "--offline", "--output", "json", *src])
    assert code == 0, out
    data = json.loads(out)
    tags = {cell["env"]: cell["image"]["tag"] for app in data["apps"] for cell in app["cells"]}
    assert tags == {"dev": "1.0", "qa": "1.0", "prod": "1.0"}
    code, out = run_cli(capsys, {}, ["show", "--offline", *src])
    assert code == 0 and "registry.local" not in out, out


def test_doctor_lists_every_such_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _remote, work, _src = _repo(tmp_path, qa=RIGHT)
    code, out = run_cli(capsys, {}, ["doctor", "--skip-forge", "--sourcedir", str(work)])
    assert code == 1, out
    line = next(line for line in out.splitlines() if "markers match their values" in line)
    assert line.startswith("[FAIL]")
    assert "apps/dev/s.yaml:2 (apps:sidecar:tag" in line and "apps/prod/s.yaml:2 (apps:sidecar:tag" in line
    assert "apps/qa/" not in line
    assert '{"$imagepolicy": "<group>:<app>"}' in out


def test_the_demo_repository_has_no_such_marker(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from gitops_promotion.commands.demo import generate_example

    _remote, work = generate_example(tmp_path)
    code, out = run_cli(capsys, {}, ["doctor", "--skip-forge", "--sourcedir", str(work)])
    assert "[  ok] markers match their values" in out, out
    _ = code  # the demo has no CI files: doctor's other checks may warn
