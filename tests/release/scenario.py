"""A repository with history, open PRs and a failed gate, built through the real commands and local forge."""

from __future__ import annotations

from pathlib import Path

from gitops_promotion.commands.new import new
from gitops_promotion.commands.promote import promote
from gitops_promotion.commands.release import release
from gitops_promotion.providers.local import LocalForge
from tests.release.builders import HOUR, T0, Repo, context, deployment, make_repo

CONFIG = """\
environments:
  - {name: dev, auto: true}
  - {name: qa, auto: true}
  - {name: prod}
"""
DIGEST = "sha256:" + "c0ffee" * 10 + "abcd"


def busy_repo(root: Path) -> Repo:
    """web: 1.1 in dev via the tool, qa's PR open with a failed gate; api: a release PR into prod open."""
    files = {f"apps/{e}/{a}.yaml": deployment("apps", a, "1.0") for e in ("dev", "qa", "prod") for a in ("web", "api")}
    files["apps/dev/api.yaml"] = deployment("apps", "api", f"1.0@{DIGEST}")
    files["team-b/dev/worker.yaml"] = deployment("team-b", "worker", "0.3.0")
    repo = make_repo(root, CONFIG, {"main": files})
    repo.direct("main", {"apps/qa/web.yaml": deployment("apps", "web", "0.9")}, "qa: try 0.9", at=T0 + HOUR)
    forge = LocalForge(repo.remote)
    opened = new(context(repo.work), group="apps", app="web", tag="1.1")
    merge = forge.merge(opened.pr_number or 0)
    repo.git("fetch", "-q", "origin")
    repo.git("checkout", "-q", "-B", "main", "origin/main")
    promote(context(repo.work))
    forge.post_status(merge, "kustomization/apps-dev/1a2b3c4d", "failure", "health check failed")
    release(context(repo.work), group="apps", app="api", tag="1.0.1", env="prod", reason="CVE", requester="ann")
    return repo
