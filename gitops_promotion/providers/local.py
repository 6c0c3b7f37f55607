"""A forge on disk: "pull requests" are branches plus a JSON record beside the remote repository.

It lets the demo and the tests run the whole flow without a network: the record lives in the remote's git
directory (or the checkout's when there is no remote), so every clone sees the same PRs and statuses.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

from gitops_promotion.ci.identity import Identity
from gitops_promotion.errors import GitError, ProviderError, PullRequestExists
from gitops_promotion.gitrepo import GitRepo
from gitops_promotion.providers import ProviderSettings
from gitops_promotion.providers.base import (
    GATE_CONTEXT,
    AutoMergeOutcome,
    CommitStatus,
    MergeMethod,
    PullRequest,
    StatusState,
    newest_gate,
)

STORE = "gitops-promotion-local-forge.json"


class LocalForge:
    name = "local"

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir
        self.path = git_dir / STORE

    # -- storage -------------------------------------------------------------------------------------------
    @contextmanager
    def _data(self) -> Iterator[dict[str, Any]]:
        lock_path = self.git_dir / (STORE + ".lock")
        with lock_path.open("w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            data: dict[str, Any] = (
                json.loads(self.path.read_text()) if self.path.exists() else {"next": 1, "prs": [], "statuses": {}}
            )
            yield data
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(data, indent=1, sort_keys=True))
            tmp.replace(self.path)

    @staticmethod
    def _pr(raw: dict[str, Any]) -> PullRequest:
        return PullRequest(
            number=raw["number"],
            title=raw["title"],
            body=raw["body"],
            head=raw["head"],
            base=raw["base"],
            state=raw["state"],
            url=f"local:pr/{raw['number']}",
            head_sha=raw.get("head_sha"),
            merge_commit=raw.get("merge_commit"),
            auto_merge=raw.get("auto_merge", False),
            author="gitops-promotion",
            merged_by=raw.get("merged_by"),
            merged_at=datetime.fromisoformat(raw["merged_at"]) if raw.get("merged_at") else None,
            created_at=datetime.fromisoformat(raw["created_at"]),
        )

    # -- Provider ------------------------------------------------------------------------------------------
    def git_auth_header(self) -> str | None:
        return None

    def find_open_pr(self, head: str, base: str) -> PullRequest | None:
        with self._data() as data:
            for raw in data["prs"]:
                if raw["state"] == "open" and raw["head"] == head and raw["base"] == base:
                    return self._pr(raw)
        return None

    def create_pr(self, *, head: str, base: str, title: str, body: str) -> PullRequest:
        with self._data() as data:
            if any(r["state"] == "open" and (r["head"], r["base"]) == (head, base) for r in data["prs"]):
                msg = f"a pull request from {head} into {base} is already open"
                raise PullRequestExists(msg)
            raw = {
                "number": data["next"],
                "title": title,
                "body": body,
                "head": head,
                "base": base,
                "state": "open",
                "created_at": _now(),
            }
            data["next"] += 1
            data["prs"].append(raw)
            return self._pr(raw)

    def update_pr(self, pr: PullRequest, *, title: str, body: str) -> PullRequest:
        with self._data() as data:
            raw = self._find(data, pr.number)
            raw.update(title=title, body=body)
            return self._pr(raw)

    def get_pr(self, number: int) -> PullRequest:
        with self._data() as data:
            return self._pr(self._find(data, number))

    def set_auto_merge(
        self, pr: PullRequest, *, enabled: bool, merge_method: MergeMethod, delete_branch: bool = True
    ) -> AutoMergeOutcome:
        if pr.auto_merge == enabled:
            return "unchanged"
        with self._data() as data:
            raw = self._find(data, pr.number)
            raw["auto_merge"] = enabled
            raw["merge_method"] = merge_method
        return "enabled" if enabled else "disabled"

    def pr_for_commit(self, sha: str, base: str) -> PullRequest | None:
        with self._data() as data:
            for raw in data["prs"]:
                if raw.get("merge_commit") == sha and raw["base"] == base:
                    return self._pr(raw)
        return None

    def list_open_prs(self, head_prefix: str | tuple[str, ...]) -> list[PullRequest]:
        with self._data() as data:
            return [self._pr(r) for r in data["prs"] if r["state"] == "open" and r["head"].startswith(head_prefix)]

    def commit_statuses(self, sha: str) -> list[CommitStatus]:
        with self._data() as data:
            raws = data["statuses"].get(sha, [])
        statuses = [
            CommitStatus(
                context=r["context"],
                state=r["state"],
                created_at=datetime.fromisoformat(r["created_at"]),
                description=r.get("description", ""),
            )
            for r in raws
        ]
        return sorted(statuses, key=lambda s: s.created_at, reverse=True)

    def report_gate(self, pr: PullRequest, *, state: StatusState, description: str) -> None:
        """Record the verdict on the PR's head commit, as on GitHub; merging by hand ignores it."""
        sha = self._head(pr)
        if sha:
            self.post_status(sha, GATE_CONTEXT, state, description)

    def current_gate(self, pr: PullRequest) -> tuple[StatusState, str] | None:
        sha = self._head(pr)
        return newest_gate(self.commit_statuses(sha)) if sha else None

    def pr_labels(self, pr: PullRequest) -> frozenset[str]:
        with self._data() as data:
            return frozenset(self._find(data, pr.number).get("labels", []))

    def _head(self, pr: PullRequest) -> str | None:
        """An open PR's head is its branch tip in the forge's repository."""
        import subprocess

        if pr.head_sha:
            return pr.head_sha
        done = subprocess.run(
            ["git", "--git-dir", str(self.git_dir), "rev-parse", "--verify", "-q", f"refs/heads/{pr.head}"],
            capture_output=True,
            text=True,
            check=False,
        )
        return done.stdout.strip() or None

    def add_label(self, number: int, name: str) -> None:
        """Label PR ``number``, as a person would on a forge."""
        with self._data() as data:
            self._find(data, number).setdefault("labels", []).append(name)

    # -- forge-side actions (what the real forge and Flux do) ------------------------------------------------
    def post_status(self, sha: str, context: str, state: StatusState, description: str = "") -> None:
        """Record a commit status, as Flux's notification-controller would."""
        with self._data() as data:
            data["statuses"].setdefault(sha, []).append(
                {"context": context, "state": state, "created_at": _now(), "description": description}
            )

    def merge(self, number: int, *, identity: Identity | None = None) -> str:
        """Merge PR ``number`` with a real git merge in the remote and return the merge commit."""
        with self._data() as data:
            raw = self._find(data, number)
            if raw["state"] != "open":
                msg = f"pull request {number} is {raw['state']}, not open"
                raise ProviderError(msg)
            message = f"Merge pull request #{number} from {raw['head']}\n\n{raw['title']}"
            commit = merge_refs(
                self.git_dir,
                base=raw["base"],
                head=raw["head"],
                message=message,
                identity=identity or Identity(),
                squash=raw.get("merge_method") == "squash",
            )
            raw.update(state="merged", merge_commit=commit, merged_at=_now(), merged_by="local-reviewer")
            return commit

    @staticmethod
    def _find(data: dict[str, Any], number: int) -> dict[str, Any]:
        for raw in data["prs"]:
            if raw["number"] == number:
                found: dict[str, Any] = raw
                return found
        msg = f"pull request {number} does not exist"
        raise ProviderError(msg)


def _now() -> str:
    return datetime.now(timezone.utc).isoformat()


def forge_dir(repo: GitRepo) -> Path:
    """The git directory that holds the record: the remote's when it is a local path, else the checkout's."""
    url = repo.remote_url() if repo.has_remote() else ""
    if url and not any(url.startswith(p) for p in ("http://", "https://", "ssh://", "git@")):
        path = Path(url.removeprefix("file://"))
        if not path.is_absolute():
            path = (repo.root / path).resolve()
        return path if (path / "HEAD").exists() else path / ".git"
    return Path(repo.git("rev-parse", "--absolute-git-dir"))


def build(settings: ProviderSettings) -> LocalForge:
    return LocalForge(forge_dir(GitRepo(settings.repo_root)))


def merge_refs(git_dir: Path, *, base: str, head: str, message: str, identity: Identity, squash: bool = False) -> str:
    """Merge branch ``head`` into branch ``base`` inside ``git_dir`` (bare or not) without a working tree.

    Used by the local provider (the demo's stand-in forge). Raises GitError on conflicts.
    """
    import subprocess

    def run(*args: str) -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": identity.name,
            "GIT_AUTHOR_EMAIL": identity.email,
            "GIT_COMMITTER_NAME": identity.name,
            "GIT_COMMITTER_EMAIL": identity.email,
        }
        proc = subprocess.run(
            ["git", "--git-dir", str(git_dir), *args], capture_output=True, text=True, env=env, check=False
        )
        if proc.returncode != 0:
            msg = f"git {args[0]} failed: {proc.stderr.strip() or proc.stdout.strip()}"
            raise GitError(msg)
        return proc.stdout.strip()

    base_sha = run("rev-parse", f"refs/heads/{base}")
    head_sha = run("rev-parse", f"refs/heads/{head}")
    tree = run("merge-tree", "--write-tree", base_sha, head_sha).splitlines()[0]
    parents = ["-p", base_sha] if squash else ["-p", base_sha, "-p", head_sha]
    commit = run("commit-tree", tree, *parents, "-m", message)
    run("update-ref", f"refs/heads/{base}", commit, base_sha)
    return commit


if TYPE_CHECKING:  # mypy holds the adapter to the Protocol commands use it through
    from gitops_promotion.providers.base import Provider

    def _conforms(provider: LocalForge) -> Provider:
        return provider
