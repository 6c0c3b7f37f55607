"""`new` reads the environment's tree once: pinning the digest and planning the edits share the parsed files."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from gitops_promotion.commands.new import new
from gitops_promotion.manifests import edit
from gitops_promotion.providers.local import LocalForge
from tests.release.builders import context, deployment, make_repo

CONFIG = """\
environments:
  - {name: dev, auto: true}
  - {name: prod}
"""


def test_new_reads_the_environment_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    files = {f"apps/{e}/web.yaml": deployment("apps", "web", "1.0") for e in ("dev", "prod")}
    repo = make_repo(tmp_path, CONFIG, {"main": files})
    reads: list[list[Path]] = []
    read = edit.read_candidate_names

    def counted(paths: Any, **kwargs: Any) -> Any:
        reads.append(list(paths))
        return read(paths, **kwargs)

    monkeypatch.setattr(edit, "read_candidate_names", counted)
    result = new(context(repo.work), group="apps", app="web", tag="2.0")
    assert result.outcome == "opened", result
    assert reads == [[repo.work / "apps/dev"]]
    pr = LocalForge(repo.remote).list_open_prs("")[0]
    assert pr.title == "Promote apps/web version 2.0 to environment dev"
    assert "2.0" in repo.git("show", f"{pr.head}:apps/dev/web.yaml")
