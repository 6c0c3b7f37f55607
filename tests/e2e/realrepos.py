"""Git repositories built at run time from Flux's own example repositories (../shared/realrepos), with what a
user adds to adopt the tool: an image marker in each environment and a gitops-promotion.yaml."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import git

# ../shared/realrepos beside the project checkout, or under GITOPS_PROMOTION_SHARED (as the forge specs are found)
SHARED = Path(os.environ.get("GITOPS_PROMOTION_SHARED", Path(__file__).resolve().parents[3] / "shared"))
REALREPOS = SHARED / "realrepos"
HELM_EXAMPLE = REALREPOS / "flux2-kustomize-helm-example" / "tree"
TENANT = REALREPOS / "flux2-multi-tenancy" / "dev-team"
TENANT_PLATFORM = REALREPOS / "flux2-multi-tenancy" / "main"


@dataclass(frozen=True)
class RealRepo:
    """How a user adopts the tool on one Flux example: where environments live and the group they promote."""

    source: Path
    env_path: str  # the config's path: for both environments
    group: str
    first_tag: str = "6.5.0"

    def values_file(self, env: str) -> str:
        return self.env_path.replace("{env}", env) + "/podinfo-values.yaml"


HELM = RealRepo(HELM_EXAMPLE, "apps/{env}", "podinfo")
TENANCY = RealRepo(TENANT, "{env}", "dev-team")


def copy_tree(source: Path, dest: Path) -> Path:
    """The upstream files, unchanged, in a fresh directory (the shared copy is never written)."""
    if not source.is_dir():
        msg = f"{source}: the Flux example repositories are missing (../shared/realrepos)"
        raise AssertionError(msg)
    shutil.copytree(source, dest)
    return dest


def add_markers(root: Path, repo: RealRepo) -> None:
    """What a user adds: the image tag of podinfo's HelmRelease values, marked for the group's podinfo app."""
    for env in ("staging", "production"):
        path = root / repo.values_file(env)
        text = path.read_text(encoding="utf-8")
        marker = f'{{"$imagepolicy": "{repo.group}:podinfo:tag"}}'
        path.write_text(text + f"    image:\n      tag: {repo.first_tag} # {marker}\n", encoding="utf-8")


def config_text(repo: RealRepo, staging_flux: str) -> str:
    return (
        "environments:\n"
        "  - name: staging\n"
        "    auto: true\n"
        f"    path: '{repo.env_path}'\n"
        f"    flux: {staging_flux}\n"
        "  - name: production\n"
        f"    path: '{repo.env_path}'\n"
    )


def build(tmp_path: Path, repo: RealRepo, staging_flux: str) -> tuple[Path, Path]:
    """(bare remote, clone): the example with markers and config, pushed to main as one commit."""
    seed = copy_tree(repo.source, tmp_path / "seed")
    add_markers(seed, repo)
    (seed / "gitops-promotion.yaml").write_text(config_text(repo, staging_flux), encoding="utf-8")
    git(tmp_path, "init", "--quiet", "-b", "main", str(seed))
    git(seed, "add", "-A")
    git(seed, "commit", "--quiet", "-m", "adopt gitops-promotion")
    bare = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", "-b", "main", str(bare))
    git(seed, "push", "--quiet", str(bare), "HEAD:refs/heads/main")
    work = tmp_path / "work"
    git(tmp_path, "clone", "--quiet", str(bare), str(work))
    return bare, work
