"""The logs `show` starts before it knows the groups give what the exact per-environment logs give (issue 17)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from gitops_promotion.errors import GitError
from gitops_promotion.gitrepo import GitRepo
from gitops_promotion.history.logs import EnvLogs, named_groups
from gitops_promotion.history.timeline import CommitFiles, read_log
from tests.release.builders import HOUR, T0, Repo, deployment, make_repo

CONFIG = "environments:\n  - {name: dev, auto: true}\n  - {name: qa}\n"
ESCAPED = 'image: registry.example/worker:{tag} # {{"$imagepolicy": "\\u0074eam-c:worker"}}\n'


def _repo(root: Path) -> Repo:
    files = {f"apps/{e}/web.yaml": deployment("apps", "web", "1.0") for e in ("dev", "qa")}
    files |= {f"team-c/{e}/worker.yaml": ESCAPED.format(tag="0.1") for e in ("dev", "qa")}
    files["apps/devx/web.yaml"] = deployment("apps", "web", "7.0")  # a sibling whose name extends "apps/dev"
    files["other/dev/web.yaml"] = deployment("apps", "web", "8.0")  # markers outside every guessed directory
    repo = make_repo(root, CONFIG, {"main": files})
    changes: list[dict[str, str | None]] = [
        {"apps/dev/web.yaml": deployment("apps", "web", "1.1"), "other/dev/web.yaml": None},
        {"team-c/dev/worker.yaml": ESCAPED.format(tag="0.2"), "apps/devx/web.yaml": deployment("apps", "web", "7.1")},
        {"apps/qa/web.yaml": deployment("apps", "web", "1.1")},
    ]
    for i, change in enumerate(changes, start=1):
        repo.direct("main", change, f"change {i}", at=T0 + i * HOUR)
    return repo


def _specs(env: str, groups: Sequence[str]) -> list[str]:
    return [f"{g}/{env}" for g in groups]


def _exact(repo: GitRepo, rev: str, groups: list[str]) -> dict[str, list[CommitFiles]]:
    return {env: read_log(repo, rev, _specs(env, groups)) if groups else [] for env in ("dev", "qa")}


@pytest.mark.parametrize(
    ("guess", "groups"),
    [
        ({"apps", "team-c"}, ["apps", "team-c"]),  # the guess holds every group: one log, cut per environment
        ({"apps", "team-c", "other"}, ["apps"]),  # a wider guess lists more; the cut removes it
        ({"apps"}, ["apps", "team-c"]),  # team-c is spelled with a JSON escape: the exact logs run instead
        (set(), []),  # nothing deployed: no log at all
    ],
)
def test_guessed_logs_equal_the_exact_ones(tmp_path: Path, guess: set[str], groups: list[str]) -> None:
    repo = GitRepo(_repo(tmp_path).work)
    rev = repo.git("rev-parse", "origin/main")
    got = EnvLogs(repo, {"dev": rev, "qa": rev}, _specs, guess).result(groups)
    assert got == _exact(repo, rev, groups)
    assert any(entry.files for entries in got.values() for entry in entries) == bool(groups)


def test_a_directory_git_would_read_as_a_pattern_runs_the_exact_logs(tmp_path: Path) -> None:
    repo = GitRepo(_repo(tmp_path).work)
    rev = repo.git("rev-parse", "origin/main")

    def specs(env: str, groups: Sequence[str]) -> list[str]:
        return [f"{g}/{env[0]}*" for g in groups]  # "apps/d*": every directory under apps starting with d

    got = EnvLogs(repo, {"dev": rev}, specs, {"apps"}).result(["apps"])
    assert got == {"dev": read_log(repo, rev, ["apps/d*"])}
    assert {path for entry in got["dev"] for path, _ in entry.files} >= {"apps/devx/web.yaml", "apps/dev/web.yaml"}


def test_a_failing_log_fails_as_the_exact_one_does(tmp_path: Path) -> None:
    repo = GitRepo(_repo(tmp_path).work)
    missing = "0" * 40
    logs = EnvLogs(repo, {"dev": missing}, _specs, {"apps"})
    with pytest.raises(GitError, match="git log failed"):
        logs.result(["apps"])


def test_named_groups_reads_marker_namespaces_from_bytes() -> None:
    data = [
        b'image: x:1 # {"$imagepolicy": "apps:web"}\nnewTag: 2 # {"$imagepolicy":"team-b:api:tag"}\n',
        ESCAPED.format(tag="1").encode(),
        b"no marker here",
    ]
    assert named_groups(data) == {"apps", "team-b"}
