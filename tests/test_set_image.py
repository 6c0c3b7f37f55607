"""The set-image command function: validation, output lines, nothing-to-do, dry run."""

from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.commands.set_image import find_repo_root, set_image
from gitops_promotion.errors import ConfigError, ManifestError, UsageError
from gitops_promotion.result import Result

DEPLOY = 'image: ghcr.io/org/podinfo:1.0.0 # {"$imagepolicy": "apps:podinfo"}\n'
KUST = 'images:\n  - name: podinfo\n    newTag: "1.0.0" # {"$imagepolicy": "apps:podinfo:tag"}\n'


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    (root / ".git").mkdir(parents=True)
    for env in ("dev", "qa"):
        (root / "apps" / env).mkdir(parents=True)
        (root / "apps" / env / "deploy.yaml").write_text(DEPLOY)
        (root / "apps" / env / "kustomization.yaml").write_text(KUST)
    return root


def _run(
    repo: Path,
    *paths: str,
    cwd: Path | None = None,
    group: str = "apps",
    app: str = "podinfo",
    tag: str = "1.1.0",
    digest: str | None = None,
    dry_run: bool = False,
) -> Result:
    return set_image(
        paths=[Path(p) for p in paths],
        group=group,
        app=app,
        tag=tag,
        digest=digest,
        dry_run=dry_run,
        cwd=cwd or repo,
    )


def test_changed_files_are_listed_relative_to_cwd(repo: Path) -> None:
    result = _run(repo, "dev", cwd=repo / "apps")
    assert result.outcome == "changed"
    assert result.message == ""
    assert result.lines == ("dev/deploy.yaml", "dev/kustomization.yaml")
    assert (repo / "apps/dev/deploy.yaml").read_text() == DEPLOY.replace("1.0.0", "1.1.0")
    assert (repo / "apps/dev/kustomization.yaml").read_text() == KUST.replace("1.0.0", "1.1.0")
    assert (repo / "apps/qa/deploy.yaml").read_text() == DEPLOY


def test_file_path_and_absolute_path(repo: Path, tmp_path: Path) -> None:
    result = _run(repo, str(repo / "apps/qa/deploy.yaml"), cwd=tmp_path)
    assert result.lines == ("repo/apps/qa/deploy.yaml",)


def test_nothing_to_do_prints_nothing(repo: Path) -> None:
    _run(repo, "apps")
    result = _run(repo, "apps")
    assert result.outcome == "nothing-to-do"
    assert result.lines == ()
    assert result.message == ""
    assert result.exit_code == 0


def test_dry_run_prints_a_diff_and_writes_nothing(repo: Path) -> None:
    digest = "sha256:" + "d" * 64
    result = _run(repo, "apps/dev/deploy.yaml", dry_run=True, digest=digest)
    assert result.outcome == "changed"
    assert result.lines == (
        "--- a/apps/dev/deploy.yaml",
        "+++ b/apps/dev/deploy.yaml",
        "@@ -1 +1 @@",
        '-image: ghcr.io/org/podinfo:1.0.0 # {"$imagepolicy": "apps:podinfo"}',
        f'+image: ghcr.io/org/podinfo:1.1.0@{digest} # {{"$imagepolicy": "apps:podinfo"}}',
    )
    assert (repo / "apps/dev/deploy.yaml").read_text() == DEPLOY


@pytest.mark.parametrize(
    ("kw", "error", "pattern"),
    [
        ({"tag": "1.0 "}, UsageError, r"^--tag '1\.0 ' is not a valid image tag"),
        ({"tag": "-x"}, UsageError, r"^--tag"),
        ({"digest": "sha256:abc"}, UsageError, r"^--digest 'sha256:abc' is not a valid digest"),
        ({"group": "../etc"}, ConfigError, r"^--group '\.\./etc' is not a valid name"),
        ({"app": "a/b"}, ConfigError, r"^--app 'a/b' is not a valid name"),
    ],
)
def test_bad_flags_are_usage_errors(repo: Path, kw: dict[str, str], error: type[UsageError], pattern: str) -> None:
    before = (repo / "apps/dev/deploy.yaml").read_bytes()
    with pytest.raises(error, match=pattern) as info:
        _run(repo, "apps", **kw)  # type: ignore[arg-type]  # each case overrides one keyword
    assert info.value.exit_code == 2
    assert (repo / "apps/dev/deploy.yaml").read_bytes() == before


def test_missing_path_is_a_usage_error(repo: Path) -> None:
    with pytest.raises(UsageError, match=r"^PATH apps/prod: no such file or directory$"):
        _run(repo, "apps/dev", "apps/prod")
    assert (repo / "apps/dev/deploy.yaml").read_text() == DEPLOY


def test_no_paths_is_a_usage_error(repo: Path) -> None:
    with pytest.raises(UsageError, match="at least one PATH"):
        _run(repo)


def test_no_marker_for_the_app(repo: Path) -> None:
    with pytest.raises(ManifestError, match=r"^no marker for apps:other under apps/dev; found: apps:podinfo"):
        _run(repo, "apps/dev", app="other")


def test_repo_root_is_found_from_the_first_path(repo: Path, tmp_path: Path) -> None:
    assert find_repo_root(repo / "apps/dev/deploy.yaml") == repo
    assert find_repo_root(repo / "apps") == repo
    worktree = tmp_path / "wt"
    worktree.mkdir()
    (worktree / ".git").write_text("gitdir: /somewhere\n")
    assert find_repo_root(worktree) == worktree


def test_error_paths_are_relative_to_the_repo_root(repo: Path) -> None:
    (repo / "apps/dev/bad.yaml").write_text('a: [ # {"$imagepolicy": "apps:podinfo:tag"}\n')
    with pytest.raises(ManifestError, match=r"^apps/dev/bad\.yaml:\d+: invalid YAML"):
        _run(repo, "dev", cwd=repo / "apps")
