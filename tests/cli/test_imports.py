"""What each command imports (issue 17): `status` and `show` reach GitHub without PyGithub, and local commands
load no forge SDK at all. Each command runs in its own interpreter (``-X importtime`` lists every import), against
the schema-validating fake GitHub, and must succeed: an import check of a command that failed early proves nothing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from tests.forge.fixtures import clone, git, github_schemas, seed_bare_repo
from tests.forge.github_schema import GitHubSchemas
from tests.reliability import forges

__all__ = ["github_schemas"]

FORGE_SDKS = ("github", "azure", "msrest", "gitlab")  # PyGithub, azure-devops, python-gitlab
APP = "app000"
BRANCH = f"promote/{forges.GROUP}-{APP}"


@dataclass
class Promotion:
    """A clone whose dev promotion merged and reconciled: the qa PR is open and its gate can open."""

    work: Path
    forge: forges.GitHubForge
    env: dict[str, str]

    def run(self, *args: str) -> tuple[subprocess.CompletedProcess[str], set[str]]:
        """Run the CLI in a fresh interpreter; its result and the top-level names of every module it imported."""
        proc = subprocess.run(
            [sys.executable, "-X", "importtime", "-m", "gitops_promotion", *args],
            cwd=self.work,
            capture_output=True,
            text=True,
            env=self.env,
            check=False,
            timeout=120,
        )
        imported = {line.split("|")[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
        return proc, {name.split(".")[0] for name in imported}


@pytest.fixture(scope="module")
def promotion(tmp_path_factory: pytest.TempPathFactory, github_schemas: GitHubSchemas) -> Iterator[Promotion]:
    root = tmp_path_factory.mktemp("imports")
    bare = seed_bare_repo(root, forges.seed_files(forges.app_names(1)))
    work = clone(bare, root / "work")
    forge = forges.GitHubForge(bare, forges.TOKEN, github_schemas)
    argv = ["--sourcedir", str(work), *forge.argv()]
    try:
        with pytest.MonkeyPatch.context() as patch:
            for key, value in forge.environ().items():
                patch.setenv(key, value)
            assert main(["new", "--group", forges.GROUP, "--app", APP, "--tag", "2.0.0", *argv]) == 0
            merge = forge.merge(max(pr.number for pr in forge.prs()))
            git(work, "fetch", "--quiet", "origin")
            assert main(["promote", "--sha", merge, "--branch", "main", *argv]) == 0
        forge.fake.post_status(merge, f"kustomization/{forges.GROUP}-dev/0a1b2c3d", "success")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TF_BUILD", "SYSTEM_", "GITLAB"))}
        env.update(forge.environ())
        yield Promotion(work, forge, env)
    finally:
        forge.stop()


def test_status_reaches_github_without_pygithub(promotion: Promotion) -> None:
    proc, imported = promotion.run("status", "--branch", BRANCH, *promotion.forge.argv())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"successful reconciliation for {forges.GROUP}-dev" in proc.stdout
    assert "requests" in imported  # it did talk to the forge
    assert not imported & set(FORGE_SDKS), sorted(imported & set(FORGE_SDKS))
    assert "pydantic" not in imported  # a well-formed config is read without it (typed_data.py)


def test_show_reads_prs_and_gates_without_pygithub(promotion: Promotion) -> None:
    proc, imported = promotion.run("show", "--output", "json", *promotion.forge.argv())
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert BRANCH in proc.stdout  # the open PR was read from the forge
    assert not imported & set(FORGE_SDKS), sorted(imported & set(FORGE_SDKS))
    assert "pydantic" not in imported


@pytest.mark.parametrize(
    "args",
    [
        ("show", "--offline", "--provider", "github"),
        ("set-image", "--group", forges.GROUP, "--app", APP, "--tag", "3.0.0", f"{forges.GROUP}/dev"),
    ],
    ids=["show-offline", "set-image"],
)
def test_local_commands_import_no_forge_sdk(promotion: Promotion, args: tuple[str, ...]) -> None:
    proc, imported = promotion.run(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert not imported & {*FORGE_SDKS, "requests", "pydantic"}, sorted(
        imported & {*FORGE_SDKS, "requests", "pydantic"}
    )
