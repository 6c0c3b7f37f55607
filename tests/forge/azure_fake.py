"""A fake Azure DevOps served in-process over HTTP, backed by a real bare git repository.

It answers what the ``azure-devops`` SDK asks (OPTIONS ``_apis`` for resource locations, ResourceAreas), the
Git endpoints the adapter uses, and git itself over HTTP. Every request is checked (azure_routes): route and
api-version against the SDK's own route table, body against the SDK's models and the official Swagger
description. A violation is answered 400 and recorded; the ``azure_forge`` fixture fails the test on it.
"""

from __future__ import annotations

import base64
import json
import re
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

from tests.forge.azure_githttp import GitAnswer, read_body, serve
from tests.forge.azure_routes import (
    CONNECTION_DATA,
    GIT_API,
    GIT_AREA,
    LOCATIONS,
    PATTERNS,
    PERMISSIONS,
    RESOURCE_AREAS,
    Request,
    answer_problems,
    validate_request,
    warm_up,
)
from tests.forge.azure_state import AzureApiError, AzureState, FakePR

IDENTITY = {
    "id": "8c5e5f1a-3a4b-4c2d-9e7f-0123456789ab",
    "displayName": "Project Build Service",
    "uniqueName": "build@example.invalid",
}


@dataclass
class Fault:
    """Answer matching requests with ``status`` (or just delay them) ``times`` times."""

    method: str
    path: str  # a regex searched in the request path
    status: int = 503
    times: int = 1
    retry_after: str | None = None
    delay: float = 0.0
    hits: int = 0


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    api_version: str | None
    body: Any
    status: int = 0


@dataclass
class _Hook:
    method: str
    path: str
    action: Callable[[], object]
    done: bool = field(default=False)


class AzureFake:
    """One organisation (or on-premises collection), one project, one repository."""

    def __init__(
        self,
        bare: Path,
        *,
        project: str = "proj",
        repo: str = "repo",
        token: str = "fake-pat",  # noqa: S107 - a test token for a test server
        collection: str = "/org",
        resource_areas: bool = True,
    ) -> None:
        self.token = token
        self.collection = "/" + collection.strip("/")
        self.resource_areas = resource_areas
        self.state = AzureState(bare, project=project, repo=repo, identity=dict(IDENTITY))
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.hooks: list[_Hook] = []
        self.git_requests: list[tuple[str, str, str | None]] = []  # (method, path, Authorization scheme)
        self.lock = threading.RLock()
        warm_up()
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}{self.collection}"

    def __enter__(self) -> AzureFake:
        self.state.base_url = self.base_url
        _forget_port(self._server.server_address[1])
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    # -- helpers for tests -----------------------------------------------------------------------------
    def post_status(self, sha: str, state: str, name: str, genre: str = "fluxcd", description: str = "") -> None:
        """Post a commit status as Flux's notification controller does."""
        with self.lock:
            self.state.post_commit_status(
                sha, {"state": state, "description": description, "context": {"name": name, "genre": genre}}
            )

    def post_pr_status(self, number: int, genre: str, name: str, state: str) -> None:
        """Post a PR status as a pipeline or a status-check service does."""
        with self.lock:
            status = self.state.status({"context": {"genre": genre, "name": name}, "state": state})
            self.state.get(number).statuses.append(status)

    def complete(self, number: int) -> str:
        """Complete PR ``number`` now (a real merge); the new tip of its target branch."""
        with self.lock:
            return self.state.complete(number)

    def auto_complete(self) -> list[int]:
        """Complete every active PR with auto-complete set whose required statuses pass; their numbers."""
        with self.lock:
            ready = [
                pr.id
                for pr in self.state.prs.values()
                if pr.status == "active" and pr.auto_complete_set_by and self.state.ready(pr)
            ]
            for number in ready:
                self.state.complete(number)
            return ready

    def add_policy(self, branch: str, type_id: str, settings: dict[str, Any], *, blocking: bool = True) -> None:
        """A branch policy on ``branch`` (what `doctor` reads); completion is gated by ``require_status``."""
        self.state.add_policy(branch, type_id, settings, blocking=blocking)

    def deny(self, bits: int) -> None:
        """Take Git repository permission bits away from the token's identity."""
        self.state.denied |= bits

    def require_status(self, genre: str, name: str) -> None:
        """A branch policy: PRs complete only once this PR status is ``succeeded``."""
        self.state.required.append((genre, name))

    @property
    def prs(self) -> dict[int, FakePR]:
        return self.state.prs

    def fault(
        self,
        method: str,
        path: str,
        status: int = 503,
        *,
        times: int = 1,
        retry_after: str | None = None,
        delay: float = 0.0,
    ) -> Fault:
        fault = Fault(method, path, status, times, retry_after, delay)
        self.faults.append(fault)
        return fault

    def before(self, method: str, path: str, action: Callable[[], object]) -> None:
        """Run ``action`` once, just before the first matching request is handled (to stage races)."""
        self.hooks.append(_Hook(method, path, action))

    @property
    def git_url(self) -> str:
        """The repository's clone URL, as Azure DevOps shows it."""
        return f"{self.base_url}/{self.state.project['name']}/_git/{self.state.repo_name}"

    def git_http(self, method: str, raw_path: str, headers: Any, body: bytes) -> GitAnswer:
        """Serve git's smart HTTP for the repository, to callers with the token in an Authorization header."""
        url = urlsplit(raw_path)
        path = unquote(url.path)
        before, _, after = path.partition("/_git/")
        repo, _, rest = after.partition("/")
        auth = headers.get("Authorization")
        with self.lock:
            self.git_requests.append((method, path, auth.split()[0] if auth else None))
        if not self._authorised(auth):
            return GitAnswer(401, [("WWW-Authenticate", 'Basic realm="fake Azure DevOps"')], b"")
        project = before[len(self.collection) :].strip("/")
        if not before.lower().startswith(self.collection.lower()) or not self.state.matches_repo(project, repo):
            return GitAnswer(404, [], b"TF401019: repository not found")
        with self.lock:  # pushes update refs the API reads
            return serve(
                self.state.git.path, method=method, rest="/" + rest, query=url.query, headers=headers, body=body
            )

    def calls(self, method: str | None = None, path: str = "") -> list[Recorded]:
        return [r for r in self.requests if (method is None or r.method == method) and re.search(path, r.path)]

    # -- request handling ------------------------------------------------------------------------------
    def _authorised(self, header: str | None) -> bool:
        basic = base64.b64encode(f":{self.token}".encode()).decode()
        return header in (f"Basic {basic}", f"Bearer {self.token}")

    def _fault_for(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and re.search(fault.path, path) and fault.hits < fault.times:
                fault.hits += 1
                return fault
        return None

    def _run_hooks(self, method: str, path: str) -> None:
        for hook in self.hooks:
            if not hook.done and hook.method == method and re.search(hook.path, path):
                hook.done = True
                hook.action()

    def handle(self, method: str, raw_path: str, headers: Any, raw_body: bytes) -> tuple[int, dict[str, str], Any]:
        """Answer one request: (status, extra headers, JSON payload). The HTTP handler and tests call this."""
        url = urlsplit(raw_path)
        version = re.search(r"api-version=([\w.-]+)", headers.get("Accept", "") or "")
        req = Request(
            method=method,
            path=unquote(url.path),
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            headers=headers,
            api_version=version.group(1) if version else None,
            body=json.loads(raw_body) if raw_body else None,
        )
        record = Recorded(req.method, req.path, req.query, req.api_version, req.body)
        with self.lock:
            self.requests.append(record)
            fault = self._fault_for(req.method, req.path)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)  # a slow server; other requests are answered meanwhile
        with self.lock:
            status, extra, payload = self._answer(req, fault)
            record.status = status
        return status, extra, payload

    def _refuse(self, req: Request, fault: Fault | None) -> tuple[int, dict[str, str], Any] | None:
        """An injected fault, a missing credential or a path outside the collection; else None."""
        if fault is not None and fault.status >= 400:
            extra = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            return fault.status, extra, AzureApiError(fault.status, f"injected {fault.status}").body()
        if not self._authorised(req.headers.get("Authorization")):
            return 401, {}, None
        if not req.path.lower().startswith(self.collection.lower() + "/"):
            self.violations.append(f"{req.method} {req.path}: outside the collection {self.collection}")
            return 404, {}, None
        return None

    def _answer(self, req: Request, fault: Fault | None) -> tuple[int, dict[str, str], Any]:
        refused = self._refuse(req, fault)
        if refused is not None:
            return refused
        req.rel = req.path[len(self.collection) :]
        if req.method == "OPTIONS" and req.rel.rstrip("/").lower() == "/_apis":
            return 200, {}, {"count": len(LOCATIONS), "value": [loc.to_json() for loc in LOCATIONS]}
        found = next(((loc, m) for loc, pattern in PATTERNS if (m := pattern.match(req.rel))), None)
        if found is None:
            self.violations.append(f"{req.method} {req.path}: no resource location has this route")
            return 404, {}, None
        location, match = found
        problems = validate_request(req, location)
        if problems:
            self.violations.extend(problems)
            return 400, {}, AzureApiError(400, "; ".join(problems)[:500]).body()
        self._run_hooks(req.method, req.path)
        req.values = {k: unquote(v) for k, v in match.groupdict().items() if v is not None}
        try:
            payload = self._dispatch(req, location.id)
        except AzureApiError as exc:
            return exc.status, {}, exc.body()
        self.violations.extend(
            f"the fake's answer to {req.method} {req.rel}: {p}" for p in answer_problems(req, location, payload)
        )
        return 200, {}, payload

    def _dispatch(self, req: Request, location: str) -> Any:
        state = self.state
        if location == CONNECTION_DATA:
            user = {"id": state.identity["id"], "providerDisplayName": state.identity["displayName"], "isActive": True}
            return {"authenticatedUser": user, "authorizedUser": user, "instanceId": state.project["id"]}
        if location == PERMISSIONS:
            granted = int(req.values["permissions"]) & ~state.denied == int(req.values["permissions"])
            return {"count": 1, "value": [granted]}
        if location == RESOURCE_AREAS:
            # Azure DevOps Server answers an empty list: the SDK then uses the collection URL for every area.
            areas = [{"id": GIT_AREA, "name": "git", "locationUrl": self.base_url + "/"}] if self.resource_areas else []
            return {"count": len(areas), "value": areas}
        project = req.values.get("project", "")
        if project.lower() not in (state.project["name"].lower(), state.project["id"]):
            msg = f"TF200016: The following project does not exist: {project}."
            raise AzureApiError(404, msg, "ProjectDoesNotExistWithNameException")
        repo = req.values.get("repositoryId")
        if repo is not None and not state.matches_repo(project, repo):
            msg = (
                f"TF401019: The Git repository with name or identifier {repo} does not exist or you do not "
                "have permissions for the operation you are attempting."
            )
            raise AzureApiError(404, msg, "GitRepositoryNotFoundException")
        handler = GIT_API.get((location, req.method, "pullRequestId" in req.values))
        if handler is None:
            raise AzureApiError(404, f"the fake does not implement {req.method} on location {location}")
        return handler(state, req)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that drops its keep-alive connection is normal; anything else is a fake's bug."""
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def _forget_port(port: int) -> None:
    """A new fake may reuse an earlier fake's port: drop what the SDK cached in memory for that origin."""
    from azure.devops.client import Client

    origin = f"http://127.0.0.1:{port}"
    for url in [url for url in Client._locations_cache if url.startswith(origin)]:
        del Client._locations_cache[url]


def _handler_for(fake: AzureFake) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            if "/_git/" in self.path:
                self._serve_git()
                return
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            status, extra, payload = fake.handle(self.command, self.path, self.headers, raw)
            data = json.dumps(payload).encode() if payload is not None else b""
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            for key, value in extra.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

        def _serve_git(self) -> None:
            answer = fake.git_http(self.command, self.path, self.headers, read_body(self.rfile, self.headers))
            self.send_response(answer.status)
            for key, value in answer.headers:
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        # http.server dispatches on these names.
        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = do_OPTIONS = _serve  # noqa: N815 - http.server names

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: the request log is ``fake.requests``."""

    return Handler
