"""What the fake GitLab remembers (merge requests, commit statuses, project settings) and its merge rules:
real git merges on the bare repository, auto-merge when the head commit's statuses are all green."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from tests.forge.github_git import BareRepo, MergeConflictError


class Refusal(Exception):
    """GitLab would answer ``status`` with ``message``."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass
class ProjectSettings:
    only_allow_merge_if_pipeline_succeeds: bool = True
    merge_method: str = "merge"  # merge | ff
    version: str = "17.11.0"  # below 17.11 the merge endpoint knows merge_when_pipeline_succeeds only
    access_level: int = 40
    merge_blocked: bool = False  # a merge check fails (draft, unresolved threads, approvals): merge answers 405


@dataclass
class FakeMR:
    iid: int
    title: str
    description: str
    source_branch: str
    target_branch: str
    author: str
    created_at: datetime
    state: str = "opened"  # opened | merged | closed
    sha: str = ""  # head commit when it stopped moving (merged/closed)
    merge_commit_sha: str | None = None
    squash_commit_sha: str | None = None
    merged_at: datetime | None = None
    merged_by: str | None = None
    auto_merge: bool = False
    squash: bool = False
    remove_source_branch: bool = False
    commits: list[str] = field(default_factory=list)  # commits the MR carried when merged


@dataclass
class FakeStatus:
    id: int
    sha: str
    name: str
    status: str
    description: str
    ref: str | None
    target_url: str | None
    author: str
    created_at: datetime


def _now() -> datetime:
    return datetime.now(timezone.utc)


class GitLabState:
    """Domain state of one project; every method is called under the fake's lock."""

    def __init__(self, git: BareRepo, settings: ProjectSettings) -> None:
        self.git = git
        self.settings = settings
        self.mrs: dict[int, FakeMR] = {}
        self.statuses: list[FakeStatus] = []

    # -- merge requests --------------------------------------------------------------------------------------
    def head_sha(self, mr: FakeMR) -> str:
        if mr.state != "opened":
            return mr.sha
        return self.git.sha(mr.source_branch) or mr.sha

    def mr(self, iid: int) -> FakeMR:
        try:
            return self.mrs[iid]
        except KeyError:
            raise Refusal(404, "404 Not found") from None

    def create(self, body: dict[str, Any], author: str) -> FakeMR:
        source, target = body["source_branch"], body["target_branch"]
        if self.git.sha(source) is None or self.git.sha(target) is None:
            raise Refusal(404, "404 Branch Not Found")
        for mr in self.mrs.values():
            if mr.state == "opened" and mr.source_branch == source and mr.target_branch == target:
                # GitLab's wording (MergeRequests::CreateService validation).
                msg = f"Another open merge request already exists for this source branch: !{mr.iid}"
                raise Refusal(409, msg)
        iid = len(self.mrs) + 1
        mr = FakeMR(iid, body["title"], body.get("description") or "", source, target, author, _now())
        mr.remove_source_branch = bool(body.get("remove_source_branch"))
        self.mrs[iid] = mr
        return mr

    def update(self, mr: FakeMR, body: dict[str, Any]) -> FakeMR:
        if mr.state == "merged":
            raise Refusal(422, "Cannot update a merged merge request")
        mr.title = body.get("title", mr.title)
        mr.description = body.get("description", mr.description)
        if body.get("state_event") == "close":
            mr.state, mr.sha = "closed", self.head_sha(mr)
        return mr

    def find(self, *, state: str, source: str | None, target: str | None) -> list[FakeMR]:
        return [
            mr
            for mr in sorted(self.mrs.values(), key=lambda m: m.iid, reverse=True)
            if state in {"all", mr.state}
            and (source is None or mr.source_branch == source)
            and (target is None or mr.target_branch == target)
        ]

    def by_commit(self, sha: str) -> list[FakeMR]:
        """MRs whose merge, squash or carried commits include ``sha`` (GitLab's MergeRequest.by_commit_sha)."""
        found = []
        for mr in self.mrs.values():
            carried = mr.commits
            if mr.state == "opened" and self.git.sha(mr.source_branch):
                carried = self.git.commits_between(mr.target_branch, mr.source_branch)
            if sha in {mr.merge_commit_sha, mr.squash_commit_sha, *carried}:
                found.append(mr)
        return found

    # -- merging ---------------------------------------------------------------------------------------------
    def pipeline_green(self, sha: str) -> bool:
        """The head pipeline passed: every latest status on ``sha`` succeeded, and there is at least one."""
        latest = self.latest_statuses(sha)
        return bool(latest) and all(s.status == "success" for s in latest)

    def accept(self, mr: FakeMR, body: dict[str, Any], actor: str) -> FakeMR:
        """PUT .../merge: merge now, or arm auto-merge when a pipeline must succeed first."""
        if mr.state != "opened" or self.settings.merge_blocked:
            raise Refusal(405, "405 Method Not Allowed")
        head = self.head_sha(mr)
        if body.get("sha") and body["sha"] != head:
            raise Refusal(409, "SHA does not match HEAD of source branch")
        mr.squash = bool(body.get("squash", mr.squash))
        if "should_remove_source_branch" in body:
            mr.remove_source_branch = bool(body["should_remove_source_branch"])
        wants_auto = bool(body.get("auto_merge") or body.get("merge_when_pipeline_succeeds"))
        if self.settings.only_allow_merge_if_pipeline_succeeds and not self.pipeline_green(head):
            if not wants_auto:
                raise Refusal(405, "405 Method Not Allowed")
            mr.auto_merge = True
            return mr
        self.merge(mr, actor)
        return mr

    def merge(self, mr: FakeMR, actor: str) -> str:
        head = self.head_sha(mr)
        base = mr.target_branch
        commits = self.git.commits_between(base, head)
        message = f"Merge branch '{mr.source_branch}' into '{base}'"
        try:
            if self.settings.merge_method == "ff":
                if not self.git.is_ancestor(self.git.sha(base) or "", head):
                    raise Refusal(406, "Branch cannot be merged")
                self.git.git("update-ref", f"refs/heads/{base}", head)
                new = head
            else:
                new = self.git.merge(
                    base=base,
                    head_sha=head,
                    method="squash" if mr.squash else "merge",
                    title=mr.title if mr.squash else message,
                    message=mr.description,
                )
        except MergeConflictError:
            raise Refusal(406, "Branch cannot be merged") from None
        mr.state, mr.sha, mr.commits, mr.auto_merge = "merged", head, commits, False
        mr.merged_at, mr.merged_by = _now(), actor
        if self.settings.merge_method == "ff":
            mr.merge_commit_sha = None
        elif mr.squash:
            mr.squash_commit_sha = new
        else:
            mr.merge_commit_sha = new
        if mr.remove_source_branch:
            self.git.git("update-ref", "-d", f"refs/heads/{mr.source_branch}")
        return new

    def tick(self) -> list[int]:
        """Merge every auto-merge MR whose head pipeline is green; the iids merged."""
        merged = []
        for mr in sorted(self.mrs.values(), key=lambda m: m.iid):
            if mr.state == "opened" and mr.auto_merge and self.pipeline_green(self.head_sha(mr)):
                try:
                    self.merge(mr, "gitlab-auto-merge")
                except Refusal:
                    continue
                merged.append(mr.iid)
        return merged

    # -- statuses --------------------------------------------------------------------------------------------
    def latest_statuses(self, sha: str) -> list[FakeStatus]:
        latest: dict[str, FakeStatus] = {}
        for status in self.statuses:
            if status.sha == sha:
                latest[status.name] = status  # later ids win
        return list(latest.values())

    def add_status(self, sha: str, body: dict[str, Any], author: str) -> FakeStatus:
        if self.git.git("cat-file", "-t", sha, check=False) != "commit":
            raise Refusal(404, "404 Commit Not Found")
        name = str(body.get("name") or body.get("context") or "default")
        previous = next((s for s in reversed(self.statuses) if s.sha == sha and s.name == name), None)
        if previous is not None and previous.status == body["state"]:
            # GitLab's state machine refuses a transition to the state the job is already in.
            raise Refusal(400, f"Cannot transition status via :{body['state']} from :{previous.status}")
        status = FakeStatus(
            id=len(self.statuses) + 1,
            sha=sha,
            name=name,
            status=str(body["state"]),
            description=str(body.get("description") or ""),
            ref=body.get("ref"),
            target_url=body.get("target_url"),
            author=author,
            created_at=_now(),
        )
        self.statuses.append(status)
        return status
