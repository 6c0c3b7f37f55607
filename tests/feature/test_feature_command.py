"""`feature` through the CLI with the on-disk local forge: both modes, the whole life of a copy, the errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.cli import main
from gitops_promotion.cli.options import RepoArgs, build_context
from gitops_promotion.commands.feature import feature
from gitops_promotion.errors import UsageError
from gitops_promotion.features.kustomize import find_kustomize, render
from gitops_promotion.providers.local import LocalForge
from gitops_promotion.state import parse_state
from tests.conftest import git
from tests.feature.layouts import CONFIG, KUSTOMIZATION, OTHERS, make_repo
from tests.feature.tools import ensure_kustomize

FEATURE = ["feature", "--group", "apps", "--app", "podinfo", "--tag", "pr-42", "--feature", "Fix/Login"]


@pytest.fixture
def repo(tmp_path: Path) -> tuple[Path, Path]:
    ensure_kustomize()
    return make_repo(tmp_path)


def cli(capsys: pytest.CaptureFixture[str], work: Path, *argv: str) -> tuple[int, str]:
    code = main([*argv, "--sourcedir", str(work), "--provider", "local"])
    out, err = capsys.readouterr()
    return code, out + err


def sync(work: Path) -> None:
    git(work, "fetch", "--quiet", "origin")
    git(work, "checkout", "--quiet", "-B", "main", "origin/main")


@pytest.mark.slow
def test_duplicate_mode_from_open_to_cleanup(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    remote, work = repo
    forge = LocalForge(remote)
    before = render(work / "apps/dev", ensure_kustomize(), where="apps/dev")
    code, out = cli(capsys, work, *FEATURE)
    assert code == 0, out
    assert "feature name 'Fix/Login' sanitised to 'fixlogin'" in out
    assert "created branch feature/apps-podinfo-fixlogin with pull request 1" in out
    assert "(auto-merge on)" in out  # dev is auto
    pr = forge.get_pr(1)
    assert pr.title == "Feature fixlogin: apps/podinfo version pr-42 to environment dev"
    state = parse_state(pr.body)
    assert state is not None and (state.type, state.feature, state.tag) == ("feature", "fixlogin", "pr-42")
    assert "apps/dev/podinfo-fixlogin/" in pr.body
    changed = git(remote, "diff", "--name-only", "main", "feature/apps-podinfo-fixlogin").split()
    assert "apps/dev/kustomization.yaml" in changed
    assert all(p == "apps/dev/kustomization.yaml" or p.startswith("apps/dev/podinfo-fixlogin/") for p in changed)
    assert git(work, "status", "--porcelain") == "" and git(work, "branch", "--show-current") == "main"

    # Same tag again: the same PR, updated; a new tag: the copy follows it.
    assert cli(capsys, work, *FEATURE)[0] == 0
    code, out = cli(capsys, work, *FEATURE[:6], "pr-43", *FEATURE[7:])
    assert code == 0 and "pull request 1" in out
    assert len(forge.list_open_prs("feature/")) == 1
    assert "podinfo:pr-43" in git(
        remote, "show", "feature/apps-podinfo-fixlogin:apps/dev/podinfo-fixlogin/deployment-podinfo-fixlogin.yaml"
    )

    # Merged, it is never promoted; once merged, the same request has nothing to do.
    forge.merge(1)
    sync(work)
    code, out = cli(capsys, work, "promote")
    assert code == 0 and "pull request 1 is a feature pull request; it is not promoted further" in out
    code, out = cli(capsys, work, *FEATURE[:6], "pr-43", *FEATURE[7:])
    assert code == 0 and "nothing to do: feature fixlogin of apps/podinfo in dev already runs pr-43" in out
    assert len(forge.list_open_prs("feature/")) == 0

    # feature-stale removes it again: the env renders exactly as before the feature.
    code, out = cli(capsys, work, "feature-stale", "--max-age", "0s")
    assert code == 0 and "removed apps/dev/podinfo-fixlogin (apps/podinfo, feature fixlogin)" in out
    forge.merge(2)
    sync(work)
    assert (work / "apps/dev/kustomization.yaml").read_text() == KUSTOMIZATION
    assert not (work / "apps/dev/podinfo-fixlogin").exists()
    assert render(work / "apps/dev", ensure_kustomize(), where="apps/dev") == before


def test_overwrite_mode_edits_the_app_itself(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    remote, work = repo
    code, out = cli(
        capsys, work, "feature", "--group", "apps", "--app", "web", "--tag", "2.0-rc1", "--feature", "try-it"
    )
    assert code == 0, out
    assert "created branch feature/apps-web-try-it with pull request 1" in out
    diff = git(remote, "diff", "main", "feature/apps-web-try-it")
    added = [line for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    assert added == ['+          image: ghcr.io/example/web:2.0-rc1 # {"$imagepolicy": "apps:web"}']
    assert git(remote, "show", "feature/apps-web-try-it:apps/dev/others.yaml") + "\n" == OTHERS.replace(
        "web:1.0.0", "web:2.0-rc1"
    )
    state = parse_state(LocalForge(remote).get_pr(1).body)
    assert state is not None and (state.type, state.feature, state.env) == ("feature", "try-it", "dev")


def test_per_env_flow_uses_the_env_in_the_branch(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _remote, work = make_repo(tmp_path)
    (work / "gitops-promotion.yaml").write_text(CONFIG.replace("prflow: per-app", "prflow: per-env"))
    git(work, "commit", "--quiet", "-am", "per-env")
    git(work, "push", "--quiet", "origin", "HEAD:main")
    code, out = cli(capsys, work, *FEATURE)
    assert code == 0, out
    assert "created branch feature/dev/apps-podinfo-fixlogin with pull request 1" in out


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--app", "podinfo", "--feature", "//"], "--feature '//' has no letters or digits"),
        (["--app", "nope", "--feature", "x"], "--app nope: apps/nope is not under groups.apps.applications"),
        (["--app", "podinfo", "--feature", "x", "--tag", "bad tag"], "--tag 'bad tag' is not a valid image tag"),
    ],
)
def test_usage_errors(
    repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    remote, work = repo
    code, out = cli(capsys, work, "feature", "--group", "apps", "--tag", "pr-1", *argv)
    assert code == 2
    assert message in out
    assert "feature/" not in git(remote, "branch")


def test_duplicate_mode_needs_a_selector(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _remote, work = make_repo(tmp_path)
    (work / "gitops-promotion.yaml").write_text(
        CONFIG.replace("featureOverwrite: true", "{}").replace("      web:\n        {}", "      web: {}")
    )
    git(work, "commit", "--quiet", "-am", "web without feature settings")
    code, out = cli(capsys, work, "feature", "--group", "apps", "--app", "web", "--tag", "1", "--feature", "x")
    assert code == 2
    assert "groups.apps.applications.web needs featureLabelSelector" in out


def test_failed_copy_leaves_a_clean_checkout(repo: tuple[Path, Path], capsys: pytest.CaptureFixture[str]) -> None:
    remote, work = repo
    (work / "gitops-promotion.yaml").write_text(CONFIG.replace("app: podinfo", "app: renamed"))
    git(work, "commit", "--quiet", "-am", "selector changed")
    code, out = cli(capsys, work, *FEATURE)
    assert code == 2
    assert "featureLabelSelector app=renamed of apps/podinfo selects nothing in apps/dev" in out
    assert git(work, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(work, "branch", "--show-current") == "main"
    assert "feature/" not in git(remote, "branch")


def test_without_kustomize_the_error_says_what_to_install(repo: tuple[Path, Path]) -> None:
    remote, work = repo
    args = RepoArgs(
        sourcedir=work, config_path=None, git_name=None, git_email=None, output="text", verbose=False, provider="local"
    )
    with pytest.raises(UsageError, match=r"install `kustomize` \(v5\) or `kubectl`"):
        feature(
            build_context(args, {}),
            group="apps",
            app="podinfo",
            tag="pr-1",
            feature="x",
            kustomize=lambda: find_kustomize(which=lambda _name: None),
        )
    assert "feature/" not in git(remote, "branch")


def test_find_kustomize_prefers_kustomize() -> None:
    paths = {"kustomize": "/bin/kustomize", "kubectl": "/bin/kubectl"}
    assert find_kustomize(which=paths.get) == ["/bin/kustomize", "build"]
    assert find_kustomize(which={"kubectl": "/bin/kubectl"}.get) == ["/bin/kubectl", "kustomize"]


def test_copy_failing_after_writing_leaves_a_clean_checkout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from gitops_promotion.features import duplicate

    remote, work = make_repo(tmp_path, "images")
    monkeypatch.setattr(
        duplicate,
        "_write_patch",
        lambda _spec, directory, _wrong: (directory / duplicate.PATCH_FILE).write_text(
            "apiVersion: builtin\nkind: LabelTransformer\nmetadata: {name: noop}\nlabels: {}\nfieldSpecs: []\n"
        ),
    )
    code, out = cli(capsys, work, *FEATURE)
    assert code == 2
    assert "a transformer of the env overrides the copy's image" in out
    assert git(work, "status", "--porcelain", "--untracked-files=all") == ""
    assert git(work, "branch", "--show-current") == "main"
    assert "feature/" not in git(remote, "branch")
