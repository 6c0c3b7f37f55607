"""`demo`: a complete dev → qa → prod promotion on a generated GitOps repo, with the local forge. No network."""

from __future__ import annotations

import subprocess
from collections.abc import Callable
from pathlib import Path

from gitops_promotion.commands.new import new
from gitops_promotion.commands.promote import promote
from gitops_promotion.commands.status import status
from gitops_promotion.context import Context
from gitops_promotion.errors import GitError, UsageError
from gitops_promotion.providers.local import LocalForge
from gitops_promotion.result import Result

CONFIG = """\
prflow: per-app
status_timeout_minutes: 1
environments:
  - name: dev
    auto: true
  - name: qa
    auto: true
  - name: prod
    auto: false
groups:
  apps:
    applications:
      podinfo: {}
"""

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
spec:
  template:
    spec:
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.4.0 # {{"$imagepolicy": "apps:podinfo"}}
        - name: sidecar
          image: "registry.local:5000/tools/sidecar:{sidecar}" # {{"$imagepolicy": "apps:sidecar"}}
"""

KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - podinfo.yaml
"""


def generate_example(root: Path) -> tuple[Path, Path]:
    """Create ``root``/remote.git (the "forge") and ``root``/gitops (a clone with three environments)."""
    remote, work = root / "remote.git", root / "gitops"
    if remote.exists() or work.exists():
        msg = f"--dir {root}: already holds a demo (remote.git or gitops); choose an empty directory"
        raise UsageError(msg)
    _git(root, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    _git(root, "clone", "--quiet", str(remote), str(work))
    (work / "gitops-promotion.yaml").write_text(CONFIG)
    for env in ("dev", "qa", "prod"):
        folder = work / "apps" / env
        folder.mkdir(parents=True)
        (folder / "podinfo.yaml").write_text(DEPLOYMENT.format(sidecar="1.0"))
        (folder / "kustomization.yaml").write_text(KUSTOMIZATION)
    _git(work, "add", ".")
    _git(
        work,
        "-c",
        "user.name=demo",
        "-c",
        "user.email=demo@example.invalid",
        "commit",
        "--quiet",
        "-m",
        "Example GitOps repository",
    )
    _git(work, "push", "--quiet", "origin", "HEAD:refs/heads/main")
    _git(work, "remote", "set-head", "origin", "main")
    return remote, work


def run_demo(root: Path, open_context: Callable[[Path], Context], *, tag: str = "6.5.0") -> Result:
    """Walk one image through dev, qa and prod the way CI would, narrating each step."""
    remote, work = generate_example(root)
    forge = LocalForge(remote)
    lines: list[str] = [f"example GitOps repo: {work} (remote {remote})"]

    def step(title: str, result: Result) -> Result:
        lines.append(f"$ gitops-promotion {title}")
        lines.extend(f"  {line}" for line in (*result.lines, result.message) if line)
        return result

    def sync() -> str:
        _git(work, "fetch", "--quiet", "origin")
        _git(work, "checkout", "--quiet", "-B", "main", "origin/main")
        return _git(work, "rev-parse", "HEAD")

    opened = step(
        f"new --group apps --app podinfo --tag {tag}",
        new(open_context(work), group="apps", app="podinfo", tag=tag),
    )
    for env, next_env in (("dev", "qa"), ("qa", "prod")):
        assert opened.pr_number is not None  # noqa: S101 - the step above always opens a PR
        head = sync()
        if env != "dev":
            step(
                f"status --branch {opened.branch}",
                status(open_context(work), branch=opened.branch, sleep=lambda _s: None),
            )
        merge = forge.merge(opened.pr_number)
        lines.append(f"# the forge merges pull request {opened.pr_number} into main ({merge[:12]})")
        head = sync()
        forge.post_status(head, f"kustomization/apps-{env}/{head[:8]}", "success", "Applied revision")
        lines.append(f"# Flux reconciles {env} and posts kustomization/apps-{env} = success")
        opened = step("promote", promote(open_context(work)))
        if opened.environment != next_env:
            break
    final = step(
        f"status --branch {opened.branch}",
        status(open_context(work), branch=opened.branch, sleep=lambda _s: None),
    )
    lines.append(f"# prod is manual: pull request {opened.pr_number} waits for a reviewer (gate: {final.outcome})")
    assert opened.pr_number is not None  # noqa: S101
    forge.merge(opened.pr_number)
    sync()
    step("promote", promote(open_context(work)))
    return Result(
        outcome="done",
        message=f"demo complete: podinfo {tag} promoted through dev, qa and prod",
        lines=tuple(lines),
        data={"repo": str(work)},
    )


def _git(cwd: Path, *args: str) -> str:
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        msg = f"demo: git {args[0]} failed: {proc.stderr.strip()}"
        raise GitError(msg)
    return proc.stdout.strip()
