"""Mistyped input names what exists: config keys, groups, apps, and a repository without markers (CLI)."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.cli import main
from tests.conftest import git

LOCAL = ["--provider", "local"]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main([*argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_misspelt_top_level_key_is_named_with_a_suggestion(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _remote, work = example_repo
    config = work / "gitops-promotion.yaml"
    config.write_text(config.read_text().replace("environments:", "enviroments:"))
    code, _out, err = run(
        capsys, "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0", "--sourcedir", str(work), *LOCAL
    )
    assert code == 2
    assert "enviroments: unknown key; did you mean 'environments'?" in err
    assert "Field required" not in err


def test_misspelt_nested_key_gets_the_closest_known_key(tmp_path: Path) -> None:
    from gitops_promotion.config import load_config
    from gitops_promotion.errors import ConfigError

    path = tmp_path / "gitops-promotion.yaml"
    path.write_text("environments:\n  - name: dev\n    polcy: {freeze: true}\n")
    with pytest.raises(ConfigError, match=r":3: environments\.0\.polcy: unknown key; did you mean 'policy'\?"):
        load_config(path)


def test_unknown_group_lists_the_groups_that_exist(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    remote, work = example_repo
    code, _out, err = run(
        capsys, "new", "--group", "apss", "--app", "podinfo", "--tag", "7.0.0", "--sourcedir", str(work), *LOCAL
    )
    assert code != 0
    assert "environment dev: directory apss/dev/ does not exist on branch main (--group apss)" in err
    assert "groups with one: apps" in err
    assert git(remote, "branch", "--list", "promote/*") == ""  # nothing pushed


def test_history_of_an_unknown_app_fails_and_lists_the_apps(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _remote, work = example_repo
    code, _out, err = run(capsys, "history", "--group", "apps", "--app", "nope", "--sourcedir", str(work), *LOCAL)
    assert code == 2
    assert "--app nope: no environment deploys apps/nope" in err
    assert "apps of apps: podinfo" in err
    code, _out, _err = run(capsys, "history", "--group", "apps", "--app", "podinfo", "--sourcedir", str(work), *LOCAL)
    assert code == 0


def test_repository_without_markers_says_how_to_add_one(
    example_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    _remote, work = example_repo
    for path in (work / "apps" / "dev").rglob("*.yaml"):
        path.write_text(path.read_text().replace('"$imagepolicy"', '"note"'))
    git(work, "commit", "--quiet", "-am", "drop markers")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    code, _out, err = run(
        capsys, "new", "--group", "apps", "--app", "podinfo", "--tag", "7.0.0", "--sourcedir", str(work), *LOCAL
    )
    assert code != 0
    assert "found no $imagepolicy markers at all; mark the image line" in err
    assert '# {"$imagepolicy": "apps:podinfo"}' in err
