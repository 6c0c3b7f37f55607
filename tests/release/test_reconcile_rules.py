"""The catch-up rule's "nothing to do" paths, through the real commands and the local forge: `reconcile` never
undoes a later decision in the next environment, never promotes a direct push, never a rollback."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.commands.new import new
from gitops_promotion.commands.reconcile import reconcile
from gitops_promotion.commands.release import release, rollback
from gitops_promotion.providers.local import LocalForge
from tests.release.builders import HOUR, T0, Repo, context, deployment, make_repo

CONFIG = """\
environments:
  - {name: dev, auto: true}
  - {name: qa, auto: true}
  - {name: prod}
"""


def _repo(tmp_path: Path) -> tuple[Repo, LocalForge]:
    files = {f"apps/{e}/web.yaml": deployment("apps", "web", "1.0") for e in ("dev", "qa", "prod")}
    repo = make_repo(tmp_path, CONFIG, {"main": files})
    return repo, LocalForge(repo.remote)


def _merge(repo: Repo, forge: LocalForge, number: int | None) -> str:
    sha = forge.merge(number or 0)
    repo.git("fetch", "-q", "origin")
    repo.git("checkout", "-q", "-B", "main", "origin/main")
    return sha


def test_a_lost_promotion_is_opened_once(tmp_path: Path) -> None:
    repo, forge = _repo(tmp_path)
    _merge(repo, forge, new(context(repo.work), group="apps", app="web", tag="2.0").pr_number)
    healed = reconcile(context(repo.work))
    assert any("caught up 2.0 to qa" in line for line in healed.lines), healed.lines
    assert reconcile(context(repo.work)).message.endswith("nothing to do")  # its gate is already posted
    assert [pr.title for pr in forge.list_open_prs("")] == ["Promote apps/web version 2.0 to environment qa"]


def test_a_later_release_in_the_next_env_is_never_undone(tmp_path: Path) -> None:
    repo, forge = _repo(tmp_path)
    _merge(repo, forge, new(context(repo.work), group="apps", app="web", tag="2.0").pr_number)
    hotfix = release(context(repo.work), group="apps", app="web", tag="1.5", env="qa", reason="hotfix")
    _merge(repo, forge, hotfix.pr_number)
    result = reconcile(context(repo.work))
    # qa keeps the release: 2.0 is not pushed over it. The release itself goes on to prod, as `promote` does.
    assert not any("to qa" in line for line in result.lines), result.lines
    assert [pr.title for pr in forge.list_open_prs("")] == ["Promote apps/web version 1.5 to environment prod"]


def test_a_direct_push_or_a_rollback_is_not_promoted(tmp_path: Path) -> None:
    repo, forge = _repo(tmp_path)
    repo.direct("main", {"apps/dev/web.yaml": deployment("apps", "web", "3.0")}, "dev by hand", at=T0 + HOUR)
    assert reconcile(context(repo.work)).message.endswith("nothing to do")
    _merge(repo, forge, new(context(repo.work), group="apps", app="web", tag="3.1").pr_number)
    back = rollback(context(repo.work), group="apps", app="web", env="dev", reason="bad build")
    _merge(repo, forge, back.pr_number)
    result = reconcile(context(repo.work))
    assert result.message.endswith("nothing to do"), result.lines
    assert forge.list_open_prs("") == []


def test_an_app_whose_branch_carries_an_open_pr_costs_no_look_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next hop's branch is known from the gap alone: the forge is not asked which PR made a gap that the
    app's open PR (here the next build's, into dev) keeps in flight."""
    repo, forge = _repo(tmp_path)
    _merge(repo, forge, new(context(repo.work), group="apps", app="web", tag="2.0").pr_number)
    new(context(repo.work), group="apps", app="web", tag="2.1")  # open on promote/apps-web: the gap waits for it
    asked: list[str] = []
    look_up = LocalForge.pr_for_commit
    monkeypatch.setattr(
        LocalForge, "pr_for_commit", lambda self, sha, base: asked.append(sha) or look_up(self, sha, base)
    )
    result = reconcile(context(repo.work))
    assert not any("caught up" in line for line in result.lines), result.lines
    assert asked == []
    assert [pr.title for pr in forge.list_open_prs("")] == ["Promote apps/web version 2.1 to environment dev"]
