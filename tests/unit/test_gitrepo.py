from __future__ import annotations

from pathlib import Path

import pytest

from gitops_promotion.ci.identity import Identity, identity_from
from gitops_promotion.errors import GitError, UsageError
from gitops_promotion.gitrepo import GitRepo
from gitops_promotion.providers.local import merge_refs
from gitops_promotion.secrets import redact
from tests.conftest import git


def clone_of_trunk(example_repo: tuple[Path, Path], tmp_path: Path) -> Path:
    """A fresh clone of the example remote after its default branch was renamed to ``trunk``."""
    remote, _work = example_repo
    git(remote, "branch", "-m", "main", "trunk")
    git(remote, "symbolic-ref", "HEAD", "refs/heads/trunk")
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", str(remote), str(clone))
    return clone


def trunk_without_origin_head(example_repo: tuple[Path, Path]) -> Path:
    """The example checkout after the remote's HEAD moved to ``trunk`` (``main`` still exists) and the checkout's
    ``refs/remotes/origin/HEAD`` was deleted: only asking the remote (ls-remote) can tell the default branch."""
    remote, work = example_repo
    git(remote, "branch", "trunk", "main")
    git(remote, "symbolic-ref", "HEAD", "refs/heads/trunk")
    git(work, "fetch", "--quiet", "origin")
    git(work, "remote", "set-head", "origin", "--delete")
    return work


def test_default_branch_detected_from_remote(example_repo: tuple[Path, Path], tmp_path: Path) -> None:
    clone = clone_of_trunk(example_repo, tmp_path)
    assert GitRepo(clone).default_branch() == "trunk"
    assert GitRepo(clone).default_branch("release") == "release"


def test_default_branch_via_ls_remote_when_no_origin_head(example_repo: tuple[Path, Path]) -> None:
    work = trunk_without_origin_head(example_repo)
    assert GitRepo(work).default_branch() == "trunk"


def test_not_a_repo_is_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="not a git repository"):
        GitRepo(tmp_path)


def test_branch_commit_push_with_lease_from_detached_head(example_repo: tuple[Path, Path]) -> None:
    remote, work = example_repo
    git(work, "checkout", "--quiet", "--detach")
    repo = GitRepo(work)
    repo.fetch("main")
    repo.checkout_reset("promote/apps-podinfo", "refs/remotes/origin/main")
    assert repo.commit("nothing", [], Identity()) is None  # no empty commits
    target = work / "apps/dev/podinfo.yaml"
    target.write_text(target.read_text() + "# change\n")
    sha = repo.commit("Promote", [target], Identity("bot", "bot@example.invalid"))
    assert sha is not None
    assert git(work, "log", "-1", "--format=%an <%ae>") == "bot <bot@example.invalid>"
    repo.push("promote/apps-podinfo", expect=None)
    assert git(remote, "rev-parse", "promote/apps-podinfo") == sha
    # A second push that expects the branch to be absent is refused: someone else moved it.
    target.write_text(target.read_text() + "# again\n")
    repo.commit("again", [target], Identity())
    with pytest.raises(GitError, match="git push failed"):
        repo.push("promote/apps-podinfo", expect=None)
    repo.push("promote/apps-podinfo", expect=sha)


def test_dirty_checkout_is_refused(example_repo: tuple[Path, Path]) -> None:
    _remote, work = example_repo
    (work / "gitops-promotion.yaml").write_text("changed: true\n")
    with pytest.raises(GitError, match="uncommitted changes"):
        GitRepo(work).checkout_reset("x", "HEAD")


def test_auth_header_never_in_errors_or_remote_url(example_repo: tuple[Path, Path]) -> None:
    _remote, work = example_repo
    git(work, "remote", "set-url", "origin", "http://127.0.0.1:9/nowhere.git")
    repo = GitRepo(work, auth_header="Authorization: basic c2VjcmV0LXRva2VuLTEyMw==")
    repo.add_secret("secret-token-123")
    with pytest.raises(GitError) as info:
        repo.fetch("main")
    assert "c2VjcmV0" not in str(info.value)
    assert "c2VjcmV0" not in git(work, "config", "--list")


def test_redact() -> None:
    assert redact("Authorization: Bearer abc defsecret1", ["defsecret1"]) == "Authorization: Bearer *** ***"
    assert redact("def and abc stay", ["def", "abc"]) == "def and abc stay"  # too short to be a secret


def test_identity_precedence(example_repo: tuple[Path, Path]) -> None:
    _remote, work = example_repo
    repo = GitRepo(work)
    assert identity_from({}, None, None, repo) == Identity()
    git(work, "config", "gitops-promotion.name", "From Config")
    repo = GitRepo(work)  # a run reads the config once: a new run sees the change
    assert identity_from({}, None, None, repo).name == "From Config"
    assert identity_from({"GITOPS_PROMOTION_GIT_NAME": "Env"}, None, None, repo).name == "Env"
    assert identity_from({"GITOPS_PROMOTION_GIT_NAME": "Env"}, "Flag", "f@x", repo) == Identity("Flag", "f@x")


def test_merge_refs_is_a_real_merge(example_repo: tuple[Path, Path]) -> None:
    remote, work = example_repo
    git(work, "checkout", "--quiet", "-b", "topic")
    (work / "new.txt").write_text("x\n")
    git(work, "add", "new.txt")
    git(work, "commit", "--quiet", "-m", "topic")
    git(work, "push", "--quiet", "origin", "topic")
    sha = merge_refs(remote, base="main", head="topic", message="Merge topic", identity=Identity())
    assert git(remote, "rev-parse", "main") == sha
    assert len(git(remote, "log", "-1", "--format=%P", "main").split()) == 2
    assert git(remote, "show", "main:new.txt") == "x"


def test_history_helpers(example_repo: tuple[Path, Path]) -> None:
    _remote, work = example_repo
    repo = GitRepo(work)
    head = repo.head_sha()
    assert repo.grep_files(head, '"$imagepolicy"', ["apps/dev"]) == ["apps/dev/podinfo.yaml"]
    assert repo.show(head, "apps/dev/kustomization.yaml") is not None
    assert repo.show(head, "missing.yaml") is None
    entries = repo.log(head, ["apps/dev"])
    assert [e.subject for e in entries] == ["Example GitOps repository"]
    assert repo.is_ancestor(head, head)


def test_our_header_replaces_the_one_actions_checkout_left(example_repo: tuple[Path, Path]) -> None:
    """actions/checkout writes `http.https://host/.extraheader`; git must send only our header."""
    import http.server
    import threading

    seen: list[list[str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            seen.append(self.headers.get_all("Authorization") or [])
            self.send_response(404)
            self.end_headers()

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        _remote, work = example_repo
        base = f"http://127.0.0.1:{server.server_port}/"
        git(work, "remote", "set-url", "origin", base + "org/repo.git")
        git(work, "config", f"http.{base}.extraheader", "AUTHORIZATION: basic OLD")
        repo = GitRepo(work, auth_header="Authorization: basic NEW")
        with pytest.raises(GitError):
            repo.fetch("main")
    finally:
        server.shutdown()
    assert seen and all(headers == ["basic NEW"] for headers in seen)
