"""`show`'s four outputs, byte for byte, on repositories with every case the matrix and history know (issue 17).

The views are pinned as golden files written by the implementation before its rewrite for speed, so a faster
`show` must say exactly what the slower one said: directory, branch and mixed layouts, merges, squashes and
direct commits, digests, a moved marker, a removed one, a broken file at a head and in history, markers outside
any environment, open PRs with open, closed, waiting and n/a gates, filters, and a shallow clone.
Regenerate only for an intended change of output: ``GOLDEN_WRITE=1 pytest tests/release/test_show_golden.py``.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from gitops_promotion.commands.show import show
from gitops_promotion.providers.local import STORE
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState
from tests.release.builders import HOUR, T0, Repo, context, deployment, make_repo

GOLDEN = Path(__file__).parent / "golden"
NOW = T0 + 30 * HOUR
DIGEST = "sha256:" + "ab" * 32

DIR_CONFIG = """\
environments:
  - {name: dev, auto: true}
  - {name: qa, auto: true}
  - {name: prod}
groups:
  apps:
    applications:
      web: {}
"""
MIXED_CONFIG = """\
environments:
  - {name: dev, auto: true}
  - {name: qa, branch: qa, auto: true}
  - {name: staging, branch: staging, auto: true}
  - {name: prod, branch: prod, path: "clusters/prod/{group}"}
"""
SPLIT = """\
images:
  - name: registry.example:5000/{group}/{app} # {{"$imagepolicy": "{group}:{app}:name"}}
    newTag: "{tag}" # {{"$imagepolicy": "{group}:{app}:tag"}}
"""
ESCAPED = 'image: registry.example/web:{tag} # {{"$imagepolicy": "\\u0061pps:escaped"}}\n'
BROKEN = 'a: [unclosed\n# {"$imagepolicy": "apps:web"}\n'


def _dir_repo(root: Path) -> Repo:
    files = {f"apps/{e}/{a}.yaml": deployment("apps", a, "1.0") for e in ("dev", "qa", "prod") for a in ("web", "api")}
    files |= {f"team-b/{e}/worker.yaml": deployment("team-b", "worker", "0.3") for e in ("dev", "qa")}
    files["apps/dev/kustomization.yaml"] = SPLIT.format(group="apps", app="split", tag="4.0")
    files["apps/qa/kustomization.yaml"] = SPLIT.format(group="apps", app="split", tag="3.9")
    files["apps/dev/escaped.yaml"] = ESCAPED.format(tag="0.1")
    files["base/web.yaml"] = deployment("apps", "web", "9.9")  # outside every environment
    files["apps/prod/gone.yaml"] = deployment("apps", "gone", "0.1")
    repo = make_repo(root, DIR_CONFIG, {"main": files})
    steps: list[tuple[dict[str, str | None], str, str]] = [
        ({"apps/dev/web.yaml": deployment("apps", "web", "1.1")}, "Promote apps/web version 1.1 to dev", "merge"),
        ({"apps/qa/web.yaml": deployment("apps", "web", "1.1")}, "Promote apps/web version 1.1 to qa", "squash"),
        ({"apps/dev/web.yaml": deployment("apps", "web", f"1.2@{DIGEST}")}, "web 1.2 with digest", "merge"),
        ({"apps/prod/api.yaml": deployment("apps", "api", "1.0-hotfix"), "README.md": "x\n"}, "hotfix", "direct"),
        ({"apps/dev/api.yaml": BROKEN}, "break dev api", "direct"),
        ({"apps/dev/api.yaml": deployment("apps", "api", "2.0")}, "fix dev api", "direct"),
        ({"apps/prod/gone.yaml": None}, "drop gone", "direct"),
        ({"apps/dev/web.yaml": None, "apps/dev/web/deploy.yaml": deployment("apps", "web", "1.2")}, "move", "direct"),
        ({"apps/dev/kustomization.yaml": SPLIT.format(group="apps", app="split", tag="4.1")}, "split 4.1", "merge"),
        ({"team-b/dev/worker.yaml": deployment("team-b", "worker", "0.4")}, "worker 0.4", "squash"),
        ({"apps/qa/api.yaml": BROKEN}, "break qa api at the head", "direct"),
    ]
    for i, (change, title, how) in enumerate(steps, start=1):
        at = T0 + i * HOUR
        if how == "direct":
            repo.direct("main", change, title, at=at, who="Ops")
        else:
            repo.merge_pr("main", change, title, at=at, squash=how == "squash")
    return repo


def _forge(repo: Repo, prs: list[tuple[str, PromotionState]], statuses: dict[str, list[tuple[str, str]]]) -> None:
    """The local forge's record with fixed times: open PRs, and Flux statuses on commits."""

    def when(hours: int) -> str:
        return datetime.fromtimestamp(T0 + hours * HOUR, timezone.utc).isoformat()

    raws: list[dict[str, Any]] = []
    for number, (head, state) in enumerate(prs, start=1):
        body = state.body() if state.group else "no metadata here"
        raws.append(
            {"number": number, "title": state.title, "body": body, "head": head, "base": "main", "state": "open"}
            | {"created_at": when(20 + number)}
        )
    record = {
        "next": len(prs) + 1,
        "prs": raws,
        "statuses": {
            sha: [
                {"context": c, "state": s, "created_at": when(25 + i), "description": ""} for i, (c, s) in enumerate(v)
            ]
            for sha, v in statuses.items()
        },
    }
    (repo.remote / STORE).write_text(json.dumps(record))


def _with_prs(repo: Repo) -> Repo:
    main = repo.git("rev-parse", "origin/main")
    first = repo.git("rev-list", "--max-parents=0", "origin/main")
    older = repo.git("rev-list", "--first-parent", "--skip=3", "-1", "origin/main")  # no status yet: waiting
    prs = [
        ("promote/apps-web", PromotionState("apps", "web", "1.2", "qa", sha=main)),
        ("promote/apps-api", PromotionState("apps", "api", "2.0", "qa", sha=first)),
        ("promote/apps-split", PromotionState("apps", "split", "4.1", "qa", sha=older)),
        ("release/prod/apps-api", PromotionState("apps", "api", "2.0", "prod", type="release", reason="CVE")),
        ("promote/team-b-worker", PromotionState("team-b", "worker", "0.4", "dev", sha=main)),
        ("promote/junk", PromotionState("", "", "", "")),
    ]
    statuses = {
        main: [("kustomization/apps-dev/1a2b3c4d", "pending"), ("kustomization/apps-dev/1a2b3c4d", "failure")],
        first: [("kustomization/apps-dev/1a2b3c4d", "success")],
    }
    _forge(repo, prs, statuses)
    return repo


def _mixed_repo(root: Path) -> Repo:
    repo = make_repo(
        root,
        MIXED_CONFIG,
        {
            "main": {f"apps/dev/{a}.yaml": deployment("apps", a, "2.0") for a in ("web", "api")},
            "qa": {f"apps/{a}.yaml": deployment("apps", a, t) for a, t in (("web", "1.9"), ("api", "2.0"))},
            "prod": {
                "clusters/prod/apps/web.yaml": deployment("apps", "web", "1.0"),
                "clusters/prod/other/web.yaml": deployment("other", "web", "5.0"),
            },
        },
    )
    repo.merge_pr("qa", {"apps/web.yaml": deployment("apps", "web", "2.0")}, "web 2.0 to qa", at=T0 + HOUR)
    repo.merge_pr("main", {"apps/dev/web.yaml": deployment("apps", "web", "2.1")}, "web 2.1", at=T0 + 2 * HOUR)
    repo.direct("prod", {"clusters/prod/apps/web.yaml": deployment("apps", "web", "1.9")}, "prod", at=T0 + 3 * HOUR)
    return repo


def _shallow(root: Path) -> Repo:
    repo = _dir_repo(root / "full")
    shallow = root / "shallow"
    repo.git("clone", "-q", "--depth", "3", repo.remote.as_uri(), str(shallow))
    return Repo(repo.remote, shallow)


def _views(repo: Repo, *, html: bool = False, **options: Any) -> str:
    """Every output of `show` for ``options`` as one text: text lines and message, markdown, JSON (and HTML)."""
    ctx = context(repo.work)
    parts = []
    for output in ("text", "markdown", "json", "html")[: 4 if html else 3]:
        result: Result = show(ctx, output=output, fetch=False, clock=lambda: NOW, **options)
        data = json.dumps(result.data, indent=1, ensure_ascii=False) if result.data else ""
        parts.append(f"== {output}: {result.message}\n" + "\n".join(result.lines) + f"\n{result.summary_md}{data}")
    return "\n".join(parts) + "\n"


CASES = {
    "dir": (lambda root: _with_prs(_dir_repo(root)), {"html": True}),  # one dashboard: it renders the same data
    "dir-offline": (_dir_repo, {"offline": True}),
    "dir-group": (lambda root: _with_prs(_dir_repo(root)), {"group": "apps"}),
    "dir-app": (lambda root: _with_prs(_dir_repo(root)), {"group": "apps", "app": "web"}),
    "dir-missing-app": (_dir_repo, {"group": "apps", "app": "nope", "offline": True}),
    "mixed": (_mixed_repo, {"offline": True, "html": True}),
    "shallow": (_shallow, {"offline": True}),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_show_outputs_are_unchanged(case: str, tmp_path: Path) -> None:
    build, options = CASES[case]
    repo = build(tmp_path)
    got = _views(repo, **options).replace(str(tmp_path), "<tmp>")
    golden = GOLDEN / f"show-{case}.txt"
    if os.environ.get("GOLDEN_WRITE"):
        golden.write_text(got, encoding="utf-8")
    assert golden.exists(), f"{golden.name} missing: run with GOLDEN_WRITE=1 once"
    expected = golden.read_text(encoding="utf-8")
    assert got == expected
