"""A GitOps repository (bare remote + clone) whose app uses the Flux HelmRelease values form of markers."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git

CONFIG = """\
environments:
  - name: dev
  - name: qa
  - name: prod
"""

# The Flux image-automation guide's form: one image over three markers.
HELMRELEASE = """\
apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: podinfo
  namespace: apps
spec:
  chart:
    spec:
      chart: podinfo
      version: "6.5.0"
  values:
    image:
      repository: {image} # {{"$imagepolicy": "apps:podinfo:name"}}
      tag: {tag} # {{"$imagepolicy": "apps:podinfo:tag"}}
      digest: {digest} # {{"$imagepolicy": "apps:podinfo:digest"}}
"""
DIGEST_LINE = 15  # the line of the `:digest` marker above


def make_repo(root: Path, files: dict[str, str], config: str = CONFIG) -> tuple[Path, Path]:
    """(bare remote, clone) with ``files`` (path: text) and ``config`` committed and pushed to main."""
    remote, work = root / "remote.git", root / "work"
    root.mkdir(parents=True, exist_ok=True)
    git(root, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(root, "clone", "--quiet", str(remote), str(work))
    (work / "gitops-promotion.yaml").write_text(config)
    for rel, text in files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "GitOps repository")
    git(work, "push", "--quiet", "origin", "HEAD:refs/heads/main")
    git(work, "remote", "set-head", "origin", "main")
    return remote, work


def helm_repo(root: Path, image: str, tag: str, digest: str, config: str = CONFIG) -> tuple[Path, Path]:
    """The values form in dev, qa and prod, every env at ``image:tag@digest``."""
    text = HELMRELEASE.format(image=image, tag=tag, digest=digest)
    return make_repo(root, {f"apps/{env}/podinfo.yaml": text for env in ("dev", "qa", "prod")}, config)


def state_of(remote: Path, work: Path) -> dict[str, str]:
    """Every ref of the remote, the clone's HEAD and its uncommitted changes: what a refused run must not change."""
    return {
        "refs": git(remote, "for-each-ref", "--format=%(refname) %(objectname)"),
        "head": git(work, "rev-parse", "HEAD"),
        "status": git(work, "status", "--porcelain", "--untracked-files=all"),
    }
