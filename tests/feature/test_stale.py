"""`feature-stale`: which directories are feature copies, which are stale, and the one PR that removes them."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from gitops_promotion.cli import main
from gitops_promotion.cli.options import RepoArgs, build_context
from gitops_promotion.commands.feature_stale import feature_stale, parse_max_age
from gitops_promotion.errors import UsageError
from gitops_promotion.features.kustomization import generated_kustomization
from gitops_promotion.features.stale import feature_label, find_feature_dirs
from gitops_promotion.gitrepo import GitRepo
from gitops_promotion.providers.local import LocalForge
from gitops_promotion.state import parse_state
from tests.conftest import git
from tests.feature.layouts import KUSTOMIZATION, make_repo

OLD = "2020-01-01T00:00:00+00:00"
OLD_EPOCH = 1577836800
CONFIGMAP = "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{name}\n"
GO_STYLE = """\
commonLabels:
  app: podinfo-{feature}
  gitops-promotion.xenit.io/feature: {feature}
nameSuffix: -{feature}
resources:
- cm.yaml
"""
# directory -> (feature label or None, Go-style kustomization, committed long ago)
DIRS = {
    "podinfo-old": ("old", False, True),
    "podinfo-new": ("new", False, False),
    "web-admin-fix-1": ("fix-1", False, True),  # app web-admin, a feature name with "-"
    "web-admin-2": ("admin-2", False, True),  # app web (not web-admin): the label decides
    "ghost-x": ("x", False, True),  # not a configured app: never touched
    "podinfo-legacy": ("legacy", True, True),  # written by the Go tool
    "podinfo-plain": (None, False, True),  # no feature label: not a feature copy
}


def commit_at(work: Path, message: str, date: str | None) -> None:
    env = {"GIT_COMMITTER_DATE": date, "GIT_AUTHOR_DATE": date} if date else {}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    try:
        git(work, "add", "-A")
        git(work, "commit", "--quiet", "-m", message)
    finally:
        for key, value in old.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@pytest.fixture
def stale_repo(tmp_path: Path) -> tuple[Path, Path]:
    """The feature layout with the DIRS above; the env's own files (and web-admin/) date from long ago."""
    remote, work = make_repo(tmp_path)
    git(work, "commit", "--quiet", "--amend", "--no-edit", "--date", OLD)
    env = work / "apps/dev"
    entries = []
    for young in (False, True):
        for name, (feature, go_style, old) in DIRS.items():
            if old == young:
                continue
            (env / name).mkdir()
            (env / name / "cm.yaml").write_text(CONFIGMAP.format(name=name))
            if feature is None:
                text = "resources:\n- cm.yaml\n"
            elif go_style:
                text = GO_STYLE.format(feature=feature)
            else:
                text = generated_kustomization(feature=feature, title=name, resources=["cm.yaml"])
            (env / name / "kustomization.yaml").write_text(text)
            entries.append(name)
        (env / "kustomization.yaml").write_text(KUSTOMIZATION + "".join(f"  - {e}\n" for e in entries))
        commit_at(work, "features", None if young else OLD)
    git(work, "push", "--quiet", "--force", "origin", "HEAD:refs/heads/main")
    return remote, work


def test_feature_label_in_both_formats() -> None:
    assert feature_label(generated_kustomization(feature="a-b", title="t", resources=[]).encode()) == "a-b"
    assert feature_label(GO_STYLE.format(feature="x").encode()) == "x"
    assert feature_label(b"resources: []\n") is None
    assert feature_label(b"labels: [gitops-promotion.xenit.io/feature\n") is None  # broken YAML: not a copy


def test_find_feature_dirs_parses_names_with_dashes(stale_repo: tuple[Path, Path]) -> None:
    _remote, work = stale_repo
    nested = work / "apps/dev/web-admin/podinfo-deep"  # a labelled kustomization one level too deep
    nested.mkdir()
    (nested / "kustomization.yaml").write_text(generated_kustomization(feature="deep", title="t", resources=[]))
    commit_at(work, "nested", None)
    repo = GitRepo(work)
    found = find_feature_dirs(repo, "HEAD", "apps/dev", "apps", ["podinfo", "web", "web-admin"])
    assert [(f.path, f.app, f.feature) for f in found] == [
        ("apps/dev/podinfo-legacy", "podinfo", "legacy"),
        ("apps/dev/podinfo-new", "podinfo", "new"),
        ("apps/dev/podinfo-old", "podinfo", "old"),
        ("apps/dev/web-admin-2", "web", "admin-2"),
        ("apps/dev/web-admin-fix-1", "web-admin", "fix-1"),
    ]
    times = {f.feature: f.last_commit for f in found}
    assert times["old"] == OLD_EPOCH and times["new"] > OLD_EPOCH
    assert find_feature_dirs(repo, "HEAD", "apps/missing", "apps", ["podinfo"]) == []


def test_stale_copies_are_removed_in_one_pr(stale_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    remote, work = stale_repo
    code = main(["feature-stale", "--sourcedir", str(work), "--provider", "local"])
    out = capsys.readouterr().out
    assert code == 0, out
    removed = ["podinfo-legacy", "podinfo-old", "web-admin-2", "web-admin-fix-1"]
    for name in removed:
        assert f"removed apps/dev/{name} (" in out
    assert "created branch remove/stale-feature with pull request 1" in out
    tree = git(remote, "ls-tree", "-d", "--name-only", "remove/stale-feature:apps/dev").split()
    assert tree == ["ghost-x", "podinfo-new", "podinfo-plain", "web-admin"]
    kustomization = git(remote, "show", "remove/stale-feature:apps/dev/kustomization.yaml") + "\n"
    kept = ["ghost-x", "podinfo-plain", "podinfo-new"]
    assert kustomization == KUSTOMIZATION + "".join(f"  - {e}\n" for e in kept)
    pr = LocalForge(remote).get_pr(1)
    assert (pr.head, pr.base, pr.title) == ("remove/stale-feature", "main", "Remove stale feature environments")
    state = parse_state(pr.body)
    assert state is not None and state.type == "stale" and state.env == "dev"
    for name in removed:
        assert f"| `apps/dev/{name}` |" in pr.body
    assert "| `apps/dev/web-admin-2` | apps/web | admin-2 | 2020-01-01 00:00 UTC" in pr.body
    assert "podinfo-new" not in pr.body

    # Rerun: the same branch and PR, nothing new.
    code = main(["feature-stale", "--sourcedir", str(work), "--provider", "local"])
    assert code == 0
    assert "pull request 1" in capsys.readouterr().out
    assert len(LocalForge(remote).list_open_prs("remove/")) == 1

    # Merged, the stale PR is a tool PR that promote does not promote.
    LocalForge(remote).merge(1)
    git(work, "fetch", "--quiet", "origin")
    git(work, "checkout", "--quiet", "-B", "main", "origin/main")
    code = main(["promote", "--sourcedir", str(work), "--provider", "local"])
    assert code == 0
    assert "pull request 1 is a stale pull request; it is not promoted further" in capsys.readouterr().out
    assert git(work, "status", "--porcelain") == ""


def test_max_age_boundary_with_an_injected_clock(stale_repo: tuple[Path, Path]) -> None:
    _remote, work = stale_repo
    args = RepoArgs(
        sourcedir=work, config_path=None, git_name=None, git_email=None, output="text", verbose=False, provider="local"
    )
    week = 7 * 86400
    ctx = build_context(args, {})
    new_time = int(git(work, "log", "-1", "--format=%ct", "--", "apps/dev/podinfo-new"))
    result = feature_stale(ctx, max_age=week, now=lambda: new_time + week - 1)
    assert result.data["removed"] == [
        "apps/dev/podinfo-legacy",
        "apps/dev/podinfo-old",
        "apps/dev/web-admin-2",
        "apps/dev/web-admin-fix-1",
    ]
    result = feature_stale(build_context(args, {}), max_age=week, now=lambda: new_time + week)
    assert "apps/dev/podinfo-new" in result.data["removed"]


def test_nothing_stale(stale_repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    remote, work = stale_repo
    code = main(["feature-stale", "--max-age", "100000d", "--sourcedir", str(work), "--provider", "local"])
    out = capsys.readouterr().out
    assert code == 0
    assert "nothing to do: 5 feature environment(s) in dev, each changed within 100000d" in out
    assert "remove/stale-feature" not in git(remote, "branch")


@pytest.mark.parametrize(
    ("value", "seconds"), [("7d", 604800), ("168h", 604800), ("168h0m0s", 604800), ("0", 0), ("90m", 5400)]
)
def test_parse_max_age(value: str, seconds: float) -> None:
    assert parse_max_age(value) == seconds


@pytest.mark.parametrize("value", ["168", "soon", "-1h"])
def test_parse_max_age_rejects(value: str) -> None:
    with pytest.raises(UsageError, match=r"^--max-age"):
        parse_max_age(value)


def test_long_lists_fit_a_pull_request_description() -> None:
    from gitops_promotion.commands.feature_stale import MAX_ROWS, _body
    from gitops_promotion.features.stale import FeatureDir
    from gitops_promotion.state import PromotionState

    many = [
        FeatureDir("apps", "podinfo", f"feature-{i:03}", f"apps/dev/podinfo-feature-{i:03}", OLD_EPOCH)
        for i in range(100)
    ]
    body = _body(PromotionState(group="apps", app="", tag="", env="dev", type="stale"), many, OLD_EPOCH + 86400)
    assert len(body) < 4000
    assert body.count("| `apps/dev/podinfo-feature-") == MAX_ROWS
    assert f"| and {100 - MAX_ROWS} more |" in body


def test_no_feature_environment_at_all(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _remote, work = make_repo(tmp_path)
    code = main(["feature-stale", "--sourcedir", str(work), "--provider", "local"])
    assert code == 0
    assert "nothing to do: no feature environment in dev" in capsys.readouterr().out
