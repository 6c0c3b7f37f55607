"""An in-process fake Gitea/Forgejo (API v1) over a real bare repository, validating every request against
Gitea's published swagger (tests/forge/gitea_schema.py); a request Gitea would reject is answered 422 and kept in
``violations``. Merges are real git merges; a scheduled auto-merge ("merge when checks succeed") fires when the
branch protection's required status contexts are green on the head commit. Faults come from HttpFake.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.forge.gitea_schema import load_gitea_schema
from tests.forge.github_git import MergeConflictError
from tests.forge.http_fake import Answer, HttpFake

TOKEN = "gitea_FAKE0TOKEN0DO0NOT0LEAK00000"
# The swagger types CommitStatusState as a plain string; its description (and Gitea's parser) allow these.
STATUS_STATES = ("pending", "success", "error", "failure", "warning")


class Refusal(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message


@dataclass
class GiteaPR:
    number: int
    title: str
    body: str
    head: str
    base: str
    author: str
    created_at: datetime
    state: str = "open"  # open | closed (merged PRs are closed with merged=True)
    merged: bool = False
    head_sha: str = ""
    merge_commit_sha: str | None = None
    merged_at: datetime | None = None
    merged_by: str | None = None
    scheduled: dict[str, Any] | None = None  # the merge options of a scheduled auto-merge


@dataclass
class GiteaStatus:
    id: int
    sha: str
    context: str
    state: str
    description: str
    created_at: datetime


@dataclass
class GiteaSettings:
    required_contexts: dict[str, list[str]] = field(default_factory=dict)  # branch ("*": any) -> contexts
    merge_styles: tuple[str, ...] = ("merge", "squash", "rebase")


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


class FakeGitea(HttpFake):
    """Serve ``bare`` as ``owner/repo`` under ``origin``/api/v1."""

    prefix = "/api/v1"

    def __init__(
        self, bare: Path, *, owner: str = "acme", repo: str = "gitops", settings: GiteaSettings | None = None
    ) -> None:
        super().__init__(bare)
        self.schema = load_gitea_schema()
        self.owner, self.repo = owner, repo
        self.tokens = {TOKEN: "gitops-bot"}
        self.settings = settings or GiteaSettings()
        self.prs: dict[int, GiteaPR] = {}
        self.statuses: list[GiteaStatus] = []
        self.api_url = f"{self.origin}/api/v1"

    # -- test helpers ----------------------------------------------------------------------------------------
    def head_sha(self, pr: GiteaPR) -> str:
        return pr.head_sha if pr.state != "open" else (self.git.sha(pr.head) or pr.head_sha)

    def require(self, branch: str, *contexts: str) -> None:
        self.settings.required_contexts[branch] = list(contexts)

    def post_status(self, sha: str, context: str, state: str, description: str = "") -> None:
        with self.lock:
            self._add_status(sha, {"context": context, "state": state, "description": description})
            self.tick()

    def create_pr(self, head: str, base: str, title: str, body: str, author: str = "human") -> GiteaPR:
        with self.lock:
            return self._create({"head": head, "base": base, "title": title, "body": body}, author)

    def merge(self, number: int) -> str:
        with self.lock:
            return self._merge(self.prs[number], {"Do": "merge"}, "maintainer")

    def tick(self) -> list[int]:
        """Run every scheduled auto-merge whose required checks are green."""
        merged = []
        with self.lock:
            for pr in sorted(self.prs.values(), key=lambda p: p.number):
                if pr.state == "open" and pr.scheduled is not None and self._checks_green(pr):
                    try:
                        self._merge(pr, pr.scheduled, "gitea-actions")
                    except Refusal:
                        continue
                    merged.append(pr.number)
        return merged

    # -- rules -----------------------------------------------------------------------------------------------
    def _checks_green(self, pr: GiteaPR) -> bool:
        latest: dict[str, str] = {}
        for status in self.statuses:
            if status.sha == self.head_sha(pr):
                latest[status.context] = status.state
        required = self.settings.required_contexts
        return all(latest.get(c) == "success" for c in required.get(pr.base, required.get("*", [])))

    def _create(self, body: dict[str, Any], author: str) -> GiteaPR:
        head, base = body.get("head") or "", body.get("base") or ""
        if self.git.sha(head) is None or self.git.sha(base) is None:
            raise Refusal(404, "The target couldn't be found.")
        for pr in self.prs.values():
            if pr.state == "open" and pr.head == head and pr.base == base:
                raise Refusal(409, f"pull request already exists for these targets [id: {pr.number}]")
        pr = GiteaPR(len(self.prs) + 1, body.get("title") or "", body.get("body") or "", head, base, author, _now())
        self.prs[pr.number] = pr
        return pr

    def _merge(self, pr: GiteaPR, options: dict[str, Any], actor: str) -> str:
        head = self.head_sha(pr)
        style = options["Do"]
        if style not in self.settings.merge_styles:
            raise Refusal(405, f"Merge style {style} is not allowed for this repository")
        try:
            new = self.git.merge(
                base=pr.base,
                head_sha=head,
                method=style,
                title=pr.title if style == "squash" else f"Merge pull request '{pr.title}' (#{pr.number})",
                message=pr.body,
            )
        except MergeConflictError:
            raise Refusal(405, "Please try again later") from None
        pr.state, pr.merged, pr.head_sha, pr.merge_commit_sha = "closed", True, head, new
        pr.merged_at, pr.merged_by, pr.scheduled = _now(), actor, None
        if options.get("delete_branch_after_merge"):
            self.git.git("update-ref", "-d", f"refs/heads/{pr.head}")
        return new

    def _add_status(self, sha: str, body: dict[str, Any]) -> GiteaStatus:
        if body.get("state") not in STATUS_STATES:
            self.violations.append(f"POST statuses: state {body.get('state')!r} is not one of {STATUS_STATES}")
            raise Refusal(400, "invalid state")
        status = GiteaStatus(
            len(self.statuses) + 1,
            sha,
            body.get("context") or "default",
            body["state"],
            body.get("description") or "",
            _now(),
        )
        self.statuses.append(status)
        return status

    # -- request handling ------------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> Answer:
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        scheme, _, credential = (headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "token" or credential not in self.tokens:
            return self.reply(method, raw_path, 401, {"message": "token is required"})
        problems = self.schema.validate(method, split.path, query, body)
        if problems:
            self.violations.extend(problems)
            return self.reply(method, raw_path, 422, {"message": "; ".join(problems)})
        payload = json.loads(body) if body.strip() else {}
        repo = f"/api/v1/repos/{self.owner}/{self.repo}"
        if split.path == repo and method == "GET":
            return self.reply(
                method, raw_path, 200, {"full_name": f"{self.owner}/{self.repo}", "permissions": {"push": True}}
            )
        if not split.path.startswith(repo + "/"):
            return self.reply(method, raw_path, 404, {"message": "The target couldn't be found."})
        rest = split.path.removeprefix(repo + "/").split("/")
        args = {k: v[-1] for k, v in query.items()}
        try:
            with self.lock:
                status, answer = self._route(method, rest, args, payload, self.tokens[credential])
        except Refusal as refusal:
            return self.reply(method, raw_path, refusal.status, {"message": refusal.message})
        return self.reply(method, raw_path, status, answer)

    def _route(  # noqa: PLR0911 - one return per Gitea route, read top to bottom like a router table
        self, method: str, rest: list[str], args: dict[str, str], body: dict[str, Any], user: str
    ) -> tuple[int, Any]:
        if rest[0] == "branch_protections" and len(rest) == 2 and method == "GET":
            contexts = self.settings.required_contexts.get(unquote(rest[1]), self.settings.required_contexts.get("*"))
            if contexts is None:
                raise Refusal(404, "The target couldn't be found.")
            return 200, {
                "branch_name": unquote(rest[1]),
                "enable_status_check": True,
                "status_check_contexts": contexts,
            }
        if rest == ["pulls"] and method == "POST":
            return 201, self._pr(self._create(body, user))
        if rest == ["pulls"] and method == "GET":
            wanted = args.get("state", "open")
            found = [p for p in self.prs.values() if wanted in {"all", p.state}]
            limit, page = int(args.get("limit", "30")), int(args.get("page", "1"))
            return 200, [self._pr(p) for p in found[(page - 1) * limit : page * limit]]
        if rest[0] == "pulls" and len(rest) >= 3 and not rest[1].isdigit():  # pulls/{base}/{head...}
            base, head = unquote(rest[1]), unquote("/".join(rest[2:]))
            found = [p for p in self.prs.values() if p.base == base and p.head == head]
            if not found:
                raise Refusal(404, "The target couldn't be found.")
            return 200, self._pr(max(found, key=lambda p: p.number))
        if rest[0] == "pulls" and rest[1].isdigit():
            pr = self.prs.get(int(rest[1]))
            if pr is None:
                raise Refusal(404, "The target couldn't be found.")
            return self._pr_route(method, pr, rest[2:], body, user)
        if rest[0] == "commits" and rest[2:] == ["pull"]:
            merged = [p for p in self.prs.values() if p.merged and p.merge_commit_sha == rest[1]]
            if not merged:
                raise Refusal(404, "The target couldn't be found.")
            return 200, self._pr(merged[0])
        if rest[0] == "commits" and rest[2:] == ["statuses"]:
            found = [s for s in self.statuses if s.sha == rest[1]]
            found.sort(key=lambda s: s.id, reverse=args.get("sort") == "highestindex")
            limit, page = int(args.get("limit", "30")), int(args.get("page", "1"))
            return 200, [self._status(s) for s in found[(page - 1) * limit : page * limit]]
        if rest[0] == "statuses" and method == "POST":
            status = self._add_status(rest[1], body)
            self.tick()
            return 201, self._status(status)
        raise Refusal(404, f"valid for Gitea but not implemented by the fake: {method} {'/'.join(rest)}")

    def _pr_route(self, method: str, pr: GiteaPR, rest: list[str], body: dict[str, Any], user: str) -> tuple[int, Any]:
        if not rest and method == "GET":
            return 200, self._pr(pr)
        if not rest and method == "PATCH":
            if pr.merged:
                raise Refusal(409, "cannot edit a merged pull request")
            pr.title, pr.body = body.get("title", pr.title), body.get("body", pr.body)
            return 201, self._pr(pr)
        if rest == ["merge"] and method == "DELETE":
            if pr.scheduled is None:
                raise Refusal(404, "The target couldn't be found.")
            pr.scheduled = None
            return 204, None
        if rest == ["merge"] and method == "POST":
            if pr.state != "open":
                raise Refusal(405, "The PR is already merged")
            if body.get("head_commit_id") and body["head_commit_id"] != self.head_sha(pr):
                raise Refusal(409, "head out of date")
            if body.get("merge_when_checks_succeed") and not self._checks_green(pr):
                if pr.scheduled is not None:
                    raise Refusal(409, "pull request is already scheduled to auto merge when checks succeed")
                pr.scheduled = dict(body)
                return 201, None
            if not self._checks_green(pr):
                raise Refusal(405, "Not all required status checks successful")
            self._merge(pr, body, user)
            return 200, None
        raise Refusal(404, "The target couldn't be found.")

    # -- payloads --------------------------------------------------------------------------------------------
    def _pr(self, pr: GiteaPR) -> dict[str, Any]:
        return {
            "id": 500 + pr.number,
            "number": pr.number,
            "title": pr.title,
            "body": pr.body,
            "state": pr.state,
            "merged": pr.merged,
            "merge_commit_sha": pr.merge_commit_sha,
            "merged_at": _iso(pr.merged_at),
            "merged_by": {"login": pr.merged_by} if pr.merged_by else None,
            "created_at": _iso(pr.created_at),
            "html_url": f"{self.origin}/{self.owner}/{self.repo}/pulls/{pr.number}",
            "user": {"login": pr.author},
            "head": {"ref": pr.head, "sha": self.head_sha(pr)},
            "base": {"ref": pr.base, "sha": self.git.sha(pr.base)},
        }

    def _status(self, status: GiteaStatus) -> dict[str, Any]:
        return {
            "id": status.id,
            "status": status.state,
            "context": status.context,
            "description": status.description,
            "created_at": _iso(status.created_at),
            "target_url": "",
        }
