"""An in-process fake GitLab (REST API v4) over a real bare repository, validating every request.

Requests are checked against GitLab's published description (tests/forge/gitlab_schema.py); one GitLab would
reject (unknown path, wrong verb, undeclared parameter, bad body) is answered 400 and recorded in
``violations``, which the fixture turns into a test failure. Merges are real git merges; auto-merge fires when
the head commit's latest statuses are all green (GitLab's "pipeline succeeded"). Faults come from HttpFake.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from tests.forge.gitlab_schema import API_PREFIX, load_gitlab_schema
from tests.forge.gitlab_state import FakeMR, FakeStatus, GitLabState, ProjectSettings, Refusal
from tests.forge.http_fake import Answer, HttpFake

TOKEN = "glpat-FAKE0TOKEN0DO0NOT0LEAK"


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("-", maxsplit=1)[0].split(".")[:2])


class FakeGitLab(HttpFake):
    """Serve ``bare`` as project ``project`` (nested groups allowed) under ``origin``/api/v4."""

    prefix = API_PREFIX

    def __init__(
        self,
        bare: Path,
        *,
        project: str = "acme/platform/gitops",
        tokens: dict[str, str] | None = None,
        settings: ProjectSettings | None = None,
    ) -> None:
        super().__init__(bare)
        self.schema = load_gitlab_schema()
        self.project = project
        self.tokens = dict(tokens or {TOKEN: "gitops-bot"})
        self.state = GitLabState(self.git, settings or ProjectSettings())
        self.api_url = f"{self.origin}{API_PREFIX}"
        self.before: list[tuple[str, Callable[[], object]]] = []  # ("METHOD /path-part", action) run once

    # -- test helpers ----------------------------------------------------------------------------------------
    @property
    def token(self) -> str:
        return next(iter(self.tokens))

    def mr(self, iid: int) -> FakeMR:
        return self.state.mr(iid)

    def post_status(self, sha: str, name: str, state: str, description: str = "", author: str = "flux") -> None:
        """Post a commit status as Flux or CI would, then let auto-merge act on it."""
        with self.lock:
            self.state.add_status(sha, {"state": state, "name": name, "description": description}, author)
            self.state.tick()

    def merge(self, iid: int) -> str:
        """A maintainer presses Merge (the pipeline rule still applies to the button in GitLab; not here)."""
        with self.lock:
            return self.state.merge(self.state.mr(iid), "maintainer")

    def tick(self) -> list[int]:
        with self.lock:
            return self.state.tick()

    @property
    def git_url(self) -> str:
        """The project's https clone URL, as GitLab shows it (here plain http on the fake's port)."""
        return f"{self.origin}/{self.project}.git"

    def git_authorised(self, header: str | None) -> bool:
        """GitLab takes an access token as the password of HTTP basic auth (any user name; oauth2 by habit)."""
        scheme, _, value = (header or "").partition(" ")
        if scheme.lower() != "basic":
            return False
        _, _, password = base64.b64decode(value).decode().partition(":")
        return password in self.tokens

    # -- request handling ------------------------------------------------------------------------------------
    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> Answer:
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        user = self.tokens.get(headers.get("PRIVATE-TOKEN") or "")
        if user is None:
            return self.reply(method, raw_path, 401, {"message": "401 Unauthorized"})
        problems = self.schema.validate(method, split.path, query, body)
        if problems:
            self.violations.extend(problems)
            return self.reply(method, raw_path, 400, {"error": "; ".join(problems)})
        for index, (line, action) in enumerate(self.before):
            if f"{method} {split.path}".find(line) >= 0:
                del self.before[index]
                action()
                break
        args = {k: v[-1] for k, v in query.items()}
        payload = json.loads(body) if body.strip() else {}
        try:
            with self.lock:
                status, answer, extra = self._route(method, split.path.removeprefix(API_PREFIX), args, payload, user)
        except Refusal as refusal:
            return self.reply(method, raw_path, refusal.status, {"message": refusal.message})
        return self.reply(method, raw_path, status, answer, extra)

    def _route(  # noqa: PLR0911 - one return per GitLab route, read top to bottom like a router table
        self, method: str, path: str, args: dict[str, str], body: dict[str, Any], user: str
    ) -> tuple[int, Any, dict[str, str]]:
        if path == "/version":
            return 200, {"version": self.state.settings.version, "revision": "fake"}, {}
        parts = path.split("/")  # ["", "projects", id, ...rest]
        if len(parts) < 3 or parts[1] != "projects" or unquote(parts[2]) != self.project:
            raise Refusal(404, "404 Project Not Found")
        rest = "/".join(parts[3:])
        state = self.state
        if rest == "" and method == "GET":
            return 200, self._project(), {}
        if rest == "merge_requests" and method == "GET":
            found = state.find(
                state=args.get("state", "all"), source=args.get("source_branch"), target=args.get("target_branch")
            )
            return self._page([self._mr(m) for m in found], args)
        if rest == "merge_requests" and method == "POST":
            return 201, self._mr(state.create(body, user)), {}
        if rest.startswith("merge_requests/"):
            return self._mr_route(method, rest.split("/")[1:], body, user)
        if rest.startswith("repository/commits/") and rest.endswith("/merge_requests"):
            sha = rest.split("/")[2]
            found = [m for m in state.by_commit(sha) if args.get("state") in {None, m.state}]
            return self._page([self._mr(m) for m in found], args)
        if rest.startswith("repository/commits/") and rest.endswith("/statuses"):
            sha = rest.split("/")[2]
            statuses = [s for s in state.statuses if s.sha == sha]
            if args.get("all") != "true":
                statuses = state.latest_statuses(sha)
            statuses.sort(key=lambda s: s.id, reverse=args.get("sort") == "desc")
            return self._page([self._status(s) for s in statuses], args)
        if rest.startswith("statuses/") and method == "POST":
            sha = rest.split("/")[1]
            status = state.add_status(sha, body, user)
            state.tick()
            return 201, self._status(status), {}
        raise Refusal(404, f"404 Not Found (valid for GitLab but not implemented by the fake: {method} {path})")

    def _mr_route(
        self, method: str, rest: list[str], body: dict[str, Any], user: str
    ) -> tuple[int, Any, dict[str, str]]:
        mr = self.state.mr(int(rest[0]))
        action = rest[1] if len(rest) > 1 else ""
        if action == "" and method == "GET":
            return 200, self._mr(mr), {}
        if action == "" and method == "PUT":
            return 200, self._mr(self.state.update(mr, body)), {}
        if action == "merge" and method == "PUT":
            if "auto_merge" in body and _version(self.state.settings.version) < (17, 11):
                # Older GitLab does not know the field and would merge at once instead of waiting.
                self.violations.append(f"PUT merge: auto_merge sent to GitLab {self.state.settings.version}")
                raise Refusal(400, "auto_merge is not a parameter on this GitLab version")
            return 200, self._mr(self.state.accept(mr, body, user)), {}
        if action == "cancel_merge_when_pipeline_succeeds" and method == "POST":
            if not mr.auto_merge:
                raise Refusal(406, "406 Not Acceptable")
            mr.auto_merge = False
            return 201, self._mr(mr), {}
        raise Refusal(404, "404 Not Found")

    # -- payloads --------------------------------------------------------------------------------------------
    def _page(self, items: list[Any], args: dict[str, str]) -> tuple[int, Any, dict[str, str]]:
        per_page = int(args.get("per_page", "20"))
        page = int(args.get("page", "1"))
        chunk = items[(page - 1) * per_page : page * per_page]
        pages = max(1, -(-len(items) // per_page))
        headers = {"X-Page": str(page), "X-Per-Page": str(per_page), "X-Total": str(len(items))}
        headers["X-Total-Pages"] = str(pages)
        if page < pages:
            headers["X-Next-Page"] = str(page + 1)
        return 200, chunk, headers

    def _project(self) -> dict[str, Any]:
        settings = self.state.settings
        return {
            "id": 42,
            "path_with_namespace": self.project,
            "web_url": f"{self.origin}/{self.project}",
            "default_branch": self.git.default_branch(),
            "only_allow_merge_if_pipeline_succeeds": settings.only_allow_merge_if_pipeline_succeeds,
            "merge_method": settings.merge_method,
            "permissions": {"project_access": {"access_level": settings.access_level}, "group_access": None},
        }

    def _mr(self, mr: FakeMR) -> dict[str, Any]:
        return {
            "id": 1000 + mr.iid,
            "iid": mr.iid,
            "project_id": 42,
            "title": mr.title,
            "description": mr.description,
            "state": mr.state,
            "source_branch": mr.source_branch,
            "target_branch": mr.target_branch,
            "sha": self.state.head_sha(mr),
            "merge_commit_sha": mr.merge_commit_sha,
            "squash_commit_sha": mr.squash_commit_sha,
            "squash": mr.squash,
            "merge_when_pipeline_succeeds": mr.auto_merge,
            "force_remove_source_branch": mr.remove_source_branch,
            "web_url": f"{self.origin}/{self.project}/-/merge_requests/{mr.iid}",
            "author": {"username": mr.author},
            "merged_by": {"username": mr.merged_by} if mr.merged_by else None,
            "merge_user": {"username": mr.merged_by} if mr.merged_by else None,
            "merged_at": _iso(mr.merged_at),
            "created_at": _iso(mr.created_at),
        }

    def _status(self, status: FakeStatus) -> dict[str, Any]:
        return {
            "id": status.id,
            "sha": status.sha,
            "ref": status.ref,
            "status": status.status,
            "name": status.name,
            "description": status.description,
            "target_url": status.target_url,
            "created_at": _iso(status.created_at),
            "author": {"username": status.author},
            "allow_failure": False,
        }
