"""An in-process fake GitHub (REST + GraphQL) over a real bare repository, validating every request.

Each request is checked against GitHub's OpenAPI description or GraphQL schema (tests/forge/github_schema.py);
a request GitHub would reject is answered with an error and recorded in ``violations``, which the fixture
turns into a test failure. Faults (5xx, rate limits, resets, slow answers) are queued with ``fail_next`` etc.
"""

from __future__ import annotations

import hashlib
import json
import socket
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

import graphql
import jwt

from tests.forge.github_payloads import FakePR, FakeStatus, Payloads, RepoSettings
from tests.forge.github_routes import Call, Reply, Routes
from tests.forge.github_schema import GitHubSchemas
from tests.forge.github_state import GitHubState

RATE_LIMIT = 5000


@dataclass(frozen=True)
class Recorded:
    """One request as the fake saw it; ``str()`` gives ``METHOD /path?query`` (API prefix stripped)."""

    method: str
    path: str
    query: tuple[tuple[str, str], ...]
    status: int
    operation: str | None = None  # the GraphQL root fields called

    def __str__(self) -> str:
        text = f"{self.method} {self.path}"
        if self.query:
            text += "?" + urlencode(self.query)
        return f"{text} {{{self.operation}}}" if self.operation else text


@dataclass
class Fault:
    status: int | None  # None: drop the connection without an answer
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "Server Error"
    delay: float = 0.0
    match: str | None = None  # only requests whose "METHOD /path" contains this


@dataclass(frozen=True)
class AppIdentity:
    """A GitHub App the fake accepts JWTs from."""

    app_id: int
    public_key_pem: str


Served = TypeVar("Served", bound="ServedFake")


class ServedFake:
    """A fake's in-process server thread: start, stop, and use as a context manager (every fake shares it)."""

    _server: ThreadingHTTPServer
    _thread: threading.Thread

    def start(self: Served) -> Served:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self: Served) -> Served:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FakeGitHub(ServedFake):
    """Serve ``bare`` as ``owner/repo``; ``ghes`` puts the API under /api/v3 and GraphQL at /api/graphql."""

    def __init__(
        self,
        bare: Path,
        schemas: GitHubSchemas,
        *,
        owner: str = "acme",
        repo: str = "gitops",
        tokens: dict[str, str] | None = None,
        ghes: bool = False,
        app: AppIdentity | None = None,
        settings: RepoSettings | None = None,
        clock: Callable[[], datetime] | None = None,
    ) -> None:
        self.schemas = schemas
        self.owner, self.repo, self.ghes, self.app = owner, repo, ghes, app
        self.tokens = dict(tokens or {"ghp_fake_token_0123456789": "gitops-bot"})
        self.state = GitHubState(bare, settings or RepoSettings(), clock or (lambda: datetime.now(timezone.utc)))
        self.requests: list[Recorded] = []
        self.violations: list[str] = []
        self.faults: list[Fault] = []
        self.rate_remaining: dict[str, int] = {}
        self._server = _Server(("127.0.0.1", 0), _handler_for(self))
        port = self._server.server_address[1]
        self.origin = f"http://127.0.0.1:{port}"
        self.api_url = f"{self.origin}/api/v3" if ghes else self.origin
        self.graphql_url = f"{self.origin}/api/graphql" if ghes else f"{self.origin}/graphql"
        payloads = Payloads(schemas, api_base=self.api_url, web_base=self.origin, owner=owner, repo=repo)
        self.routes = Routes(self.state, payloads, schemas, app.app_id if app else None)
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True)

    @property
    def token(self) -> str:
        return next(iter(self.tokens))

    # -- test helpers ----------------------------------------------------------------------------------------
    @property
    def prs(self) -> list[FakePR]:
        with self.state.lock:
            return sorted(self.state.pulls.values(), key=lambda p: p.number)

    def pr(self, number: int) -> FakePR:
        return self.state.pull(number)

    def head_sha(self, number: int) -> str:
        with self.state.lock:
            return self.state.head_sha(self.state.pull(number))

    def post_status(self, sha: str, context: str, state: str, description: str = "") -> FakeStatus:
        """Post a commit status as Flux or a CI job would, then let auto-merge act on it."""
        with self.state.lock:
            status = self.state.add_status(sha, context=context, state=state, creator="flux", description=description)
            self.state.tick()
            return status

    def merge(self, number: int, method: str = "merge") -> str:
        """Press the merge button (required checks still apply)."""
        with self.state.lock:
            return self.state.merge(self.state.pull(number), method=method, actor="octo-human")

    def tick(self) -> list[int]:
        """Re-evaluate auto-merge (after a push to a PR branch, for instance)."""
        with self.state.lock:
            return self.state.tick()

    def add_label(self, number: int, name: str) -> None:
        """A person labels pull request ``number``."""
        with self.state.lock:
            self.state.pull(number).labels.append(name)

    def protect(self, branch: str, *contexts: str) -> None:
        self.state.settings.protection[branch] = list(contexts)

    def clear_requests(self) -> None:
        self.requests.clear()

    def request_lines(self) -> list[str]:
        return [str(r) for r in self.requests]

    def fail_next(self, n: int = 1, status: int = 502, match: str | None = None) -> None:
        self.faults.extend(Fault(status, match=match) for _ in range(n))

    def rate_limit_next(self, kind: str = "secondary", wait: int = 3, match: str | None = None) -> None:
        """Queue a primary (x-ratelimit-reset) or secondary (Retry-After) rate-limit answer."""
        if kind == "primary":
            reset = str(int(time.time()) + wait)
            headers = {
                "x-ratelimit-remaining": "0",
                "x-ratelimit-limit": str(RATE_LIMIT),
                "x-ratelimit-reset": reset,
            }
            self.faults.append(Fault(403, headers, "API rate limit exceeded for installation ID 1.", match=match))
        else:
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            self.faults.append(Fault(403, {"retry-after": str(wait)}, message, match=match))

    def reset_next(self, n: int = 1, match: str | None = None) -> None:
        self.faults.extend(Fault(None, match=match) for _ in range(n))

    def slow_next(self, seconds: float, n: int = 1, match: str | None = None) -> None:
        self.faults.extend(Fault(200, delay=seconds, match=match) for _ in range(n))

    def reject_next_push(self, n: int = 1) -> None:
        """The next ``n`` git pushes to the bare repository are rejected (pre-receive hook)."""
        self.state.git.reject_pushes(n)

    def rate_used(self, token: str | None = None) -> int:
        return RATE_LIMIT - self.rate_remaining.get(token or self.token, RATE_LIMIT)

    # -- request handling ------------------------------------------------------------------------------------
    def _take_fault(self, line: str) -> Fault | None:
        with self.state.lock:
            for index, fault in enumerate(self.faults):
                if fault.match is None or fault.match in line:
                    return self.faults.pop(index)
        return None

    def _actor(self, headers: Any, path: str) -> tuple[str | None, str | None]:
        """(login, error) from the Authorization header; app endpoints want a JWT signed by the app's key."""
        scheme, _, credential = (headers.get("Authorization") or "").partition(" ")
        if path.startswith("/app/") or path.endswith("/installation"):
            if self.app is None or scheme.lower() != "bearer":
                return None, "A JSON web token could not be decoded"
            try:
                claims = jwt.decode(credential, self.app.public_key_pem, algorithms=["RS256"])
            except jwt.PyJWTError as exc:
                return None, f"A JSON web token could not be decoded ({exc})"
            if str(claims.get("iss")) != str(self.app.app_id) or claims["exp"] - claims["iat"] > 660:
                return None, "'Issuer' claim ('iss') must be the app id and exp at most 10 minutes ahead"
            return "", None
        if scheme.lower() not in {"token", "bearer"}:
            return None, "Requires authentication"
        login = self.tokens.get(credential) or self.routes.issued_tokens.get(credential)
        return (login, None) if login else (None, "Bad credentials")

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        """Answer one HTTP request: fault, auth, validation, dispatch, rate limit, ETag."""
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        path = split.path
        prefix = "/api/v3" if self.ghes else ""
        graphql_path = "/api/graphql" if self.ghes else "/graphql"
        is_graphql = path == graphql_path
        if not is_graphql:
            if not path.startswith(prefix):
                return self._finish(method, path, query, 404, {"message": "Not Found"}, token=None)
            path = path[len(prefix) :] or "/"
        else:
            path = "/graphql"
        credential = (headers.get("Authorization") or "").partition(" ")[2]
        login, auth_error = self._actor(headers, path)
        if auth_error is not None or login is None:
            return self._finish(method, path, query, 401, {"message": auth_error}, token=None)
        if is_graphql:
            return self._graphql(body, login, credential)
        content_type = (headers.get("Content-Type") or "application/json").split(";")[0]
        problems = self.schemas.request_violations(method, path, query, body, content_type)
        if not problems and not self.routes.is_implemented(method, path):
            problems = [f"{method} {path}: valid for GitHub but not implemented by the fake"]
        if problems:
            self.violations.extend(problems)
            return self._finish(
                method,
                path,
                query,
                422,
                {"message": "Invalid request.", "errors": problems},
                token=credential,
            )
        payload = json.loads(body) if body else None
        args = {k: v[-1] for k, v in query.items()}
        with self.state.lock, self.state.git.snapshot():
            reply = self.routes.dispatch(Call(method, path, args, payload, login))
        if reply.status < 300:
            self.violations.extend(self.schemas.response_violations(method, path, reply.status, reply.payload))
        return self._finish(
            method,
            path,
            query,
            reply.status,
            reply.payload,
            token=credential,
            reply=reply,
            etag_from=headers.get("If-None-Match") if method == "GET" else None,
        )

    def _graphql(self, body: bytes, login: str, credential: str) -> tuple[int, dict[str, str], bytes]:
        try:
            request = json.loads(body)
            document = graphql.parse(request["query"])
        except (ValueError, KeyError, graphql.GraphQLError) as exc:
            self.violations.append(f"POST /graphql: unparsable document: {exc}")
            return self._finish("POST", "/graphql", {}, 400, {"message": "Problems parsing JSON"}, token=credential)
        variables = request.get("variables") or {}
        problems = self.schemas.graphql_violations(document, variables)
        fields = ",".join(
            sel.name.value
            for d in document.definitions
            if isinstance(d, graphql.OperationDefinitionNode)
            for sel in d.selection_set.selections
            if isinstance(sel, graphql.FieldNode)
        )
        if problems:
            self.violations.extend(f"POST /graphql {fields}: {p}" for p in problems)
            payload = {"errors": [{"message": p} for p in problems]}
            return self._finish("POST", "/graphql", {}, 200, payload, token=credential, operation=fields)
        with self.state.lock, self.state.git.snapshot():
            payload = self.routes.graphql(document, variables, login)
        return self._finish("POST", "/graphql", {}, 200, payload, token=credential, operation=fields)

    def _finish(
        self,
        method: str,
        path: str,
        query: dict[str, list[str]],
        status: int,
        payload: Any,
        *,
        token: str | None,
        reply: Reply | None = None,
        etag_from: str | None = None,
        operation: str | None = None,
    ) -> tuple[int, dict[str, str], bytes]:
        data = b"" if payload is None else json.dumps(payload).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", **(reply.headers if reply else {})}
        if method == "GET" and status == 200:
            headers["ETag"] = f'W/"{hashlib.sha256(data).hexdigest()}"'
            if etag_from == headers["ETag"]:
                status, data = 304, b""
        if token:
            with self.state.lock:
                remaining = self.rate_remaining.get(token, RATE_LIMIT)
                if status != 304:  # GitHub does not count an authenticated 304 against the limit
                    remaining -= 1
                self.rate_remaining[token] = remaining
            headers.update(
                {
                    "x-ratelimit-limit": str(RATE_LIMIT),
                    "x-ratelimit-remaining": str(remaining),
                    "x-ratelimit-reset": str(int(time.time()) + 3600),
                    "x-ratelimit-used": str(RATE_LIMIT - remaining),
                    "x-ratelimit-resource": "core",
                }
            )
        flat = tuple((k, v) for k, values in sorted(query.items()) for v in values)
        self.requests.append(Recorded(method, path, flat, status, operation))
        return status, headers, data

    def record_fault(self, method: str, raw_path: str, status: int) -> None:
        split = urlsplit(raw_path)
        query = parse_qs(split.query, keep_blank_values=True)
        prefix = "/api/v3" if self.ghes else ""
        path = split.path.removeprefix(prefix) if not split.path.endswith("graphql") else "/graphql"
        flat = tuple((k, v) for k, values in sorted(query.items()) for v in values)
        self.requests.append(Recorded(method, path, flat, status))


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128  # the default 5 drops connections when dozens of CI jobs call at once

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that hangs up (a timed-out or finished CLI run) is no server error: no traceback (`make bench`).
        if not isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            super().handle_error(request, client_address)


def _handler_for(fake: FakeGitHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            """Silence the per-request stderr line."""

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            line = f"{self.command} {urlsplit(self.path).path}"
            fault = fake._take_fault(line)
            if fault is not None and fault.delay:
                time.sleep(fault.delay)  # a slow answer; the request is then served normally
                fault = None
            if fault is not None and fault.status is None:
                fake.record_fault(self.command, self.path, 0)
                self.close_connection = True
                self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault is not None and fault.status is not None:
                fake.record_fault(self.command, self.path, fault.status)
                status, headers = fault.status, {"Content-Type": "application/json", **fault.headers}
                data = json.dumps({"message": fault.message}).encode()
            else:
                status, headers, data = fake.handle(self.command, self.path, self.headers, body)
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            if data:
                self.wfile.write(data)

        do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve  # noqa: N815 - http.server names

    return Handler
