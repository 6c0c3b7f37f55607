"""gitops_promotion/home.py is the one place naming the project's repository, image and package: the static
files users read or copy (README, docs, examples, CHANGELOG, the release workflow, pyproject) agree with it,
and none points at a placeholder."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib

from gitops_promotion import __version__, home

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()
DOCS = (ROOT / "docs" / "action.md").read_text()
USER_FACING = [
    ROOT / "README.md",
    ROOT / "action.yml",
    *sorted((ROOT / "docs").rglob("*.md")),
    *sorted((ROOT / "examples").rglob("*.yml")),
    *sorted((ROOT / "gitops_promotion" / "templates").glob("*")),
]


def test_the_names_fit_together() -> None:
    assert re.fullmatch(r"[\w.-]+/[\w.-]+", home.REPOSITORY)
    assert f"ghcr.io/{home.REPOSITORY}" == home.IMAGE
    assert f"{home.REPOSITORY}@v{__version__.split('.')[0]}" == home.ACTION_REF
    assert f"{home.PYPI_NAME}=={__version__}" == home.PACKAGE_SPEC
    assert home.release_lock_url() == (
        f"https://github.com/{home.REPOSITORY}/releases/download/v{__version__}/"
        f"{home.PYPI_NAME}-{__version__}-requirements.txt"
    )


def test_pyproject_names_the_package_and_its_home() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert project["name"] == home.PYPI_NAME
    assert project["urls"]["Source"] == f"https://github.com/{home.REPOSITORY}"
    assert project["urls"]["Changelog"] == f"https://github.com/{home.REPOSITORY}/blob/main/CHANGELOG.md"


@pytest.mark.parametrize("path", USER_FACING, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_no_placeholder_reference_is_left(path: Path) -> None:
    text = path.read_text()
    assert "0" * 40 not in text
    assert "OWNER/gitops-promotion" not in text and "OWNER/REPO@" not in text


def test_the_example_workflows_use_the_released_action() -> None:
    for path in sorted((ROOT / "examples" / "workflows" / "github").glob("*.yml")):
        for ref in re.findall(r"uses: (\S*gitops-promotion@\S+)", path.read_text()):
            assert ref == home.ACTION_REF, path.name


def test_the_azure_example_installs_this_version_from_its_release() -> None:
    text = (ROOT / "examples" / "workflows" / "azure" / "templates" / "gitops-promotion.yml").read_text()
    assert f'default: "{__version__}"' in text
    assert f"default: {home.RELEASES}\n" in text
    url = '"$RELEASES/v$VERSION/gitops-promotion-$VERSION-requirements.txt"'
    assert url in text
    expanded = url.strip('"').replace("$RELEASES", home.RELEASES).replace("$VERSION", __version__)
    assert expanded == home.release_lock_url()


def test_readme_and_docs_install_from_the_home() -> None:
    assert f"pip install {home.PYPI_NAME}\n" in README
    assert f"pip install --require-hashes -r {home.release_lock_url()}\n" in README
    assert f"docker run --rm {home.IMAGE}:{home.MAJOR} --version\n" in README
    assert f"`uses: {home.ACTION_REF}`" in README
    assert f"- uses: {home.ACTION_REF} #" in DOCS
    assert f"{home.IMAGE}:{home.MAJOR} new --group" in DOCS
    assert f"`--action-ref {home.REPOSITORY}@<commit SHA>`" in DOCS


def test_the_changelog_and_the_release_workflow_point_home() -> None:
    changelog = (ROOT / "CHANGELOG.md").read_text()
    links = re.findall(r"^\[[^\]]+\]: (\S+)$", changelog, re.MULTILINE)
    assert links and all(link.startswith(f"https://github.com/{home.REPOSITORY}/") for link in links)
    release = (ROOT / ".github" / "workflows" / "release.yml").read_text()
    assert f"IMAGE: {home.IMAGE} " in release
