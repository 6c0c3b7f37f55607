"""One view over the fake GitHub and the fake Azure DevOps for the reliability tests: a seeded repository,
the CLI arguments that point the tool at the fake, PRs in a common shape, merges, and random fault injection.

Faults are drawn per request from a seeded RNG by small subclasses of the fakes (their own queues are FIFO,
meant for single targeted faults): 5xx before the request is handled, 5xx after it was handled (the answer is
lost, so a retried write meets its own first attempt), rate limits with Retry-After, dropped connections and
slow answers. Pushes are rejected or raced by tests/reliability/injection.py.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from gitops_promotion.state import StateError, parse_state
from tests.forge.azure_fake import AzureFake
from tests.forge.fixtures import clone, seed_bare_repo
from tests.forge.github_fake import FakeGitHub, Fault
from tests.forge.github_schema import GitHubSchemas

TOKEN = "ghp_FAKE0TOKEN0DO0NOT0LEAK0000000000000"  # recognisable in any output it leaks into
ENVS = ("dev", "qa", "prod")
GROUP = "apps"
OLD_TAG = "1.0.0"
CONFIG = """\
prflow: per-app
status_timeout_minutes: 1
environments:
  - name: dev
    auto: true
  - name: qa
    auto: true
  - name: prod
    auto: false
"""
MANIFEST = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
spec:
  template:
    spec:
      containers:
        - name: {app}
          image: registry.example.test/apps/{app}:{tag} # {{"$imagepolicy": "apps:{app}"}}
        - name: sidecar
          image: registry.example.test/tools/sidecar:{tag} # {{"$imagepolicy": "apps:sidecar"}}
"""


def app_names(count: int) -> list[str]:
    return [f"app{i:03d}" for i in range(count)]


def manifest_path(env: str, app: str) -> str:
    return f"{GROUP}/{env}/{app}.yaml"


def seed_files(apps: list[str]) -> dict[str, str]:
    files = {"gitops-promotion.yaml": CONFIG}
    for env in ENVS:
        for app in apps:
            files[manifest_path(env, app)] = MANIFEST.format(app=app, tag=OLD_TAG)
    return files


@dataclass(frozen=True)
class PRView:
    """A PR on either fake, in one shape."""

    number: int
    head: str
    base: str
    state: str  # open | merged | closed
    title: str
    body: str
    merge_commit: str | None

    def metadata(self) -> dict[str, str] | None:
        try:
            state = parse_state(self.body)
        except StateError:
            return None
        return None if state is None else {"app": state.app, "tag": state.tag, "env": state.env}


@dataclass
class FaultPlan:
    """Per-request probabilities of each fault; ``rng`` is seeded by the test."""

    rng: random.Random
    error_5xx: float = 0.0
    lost_reply: float = 0.0
    rate_limit: float = 0.0
    reset: float = 0.0
    slow: float = 0.0
    slow_s: float = 0.02
    retry_after: int = 2
    counts: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def draw(self) -> str | None:
        """The fault for the next request (or None); thread-safe so concurrent runs stay reproducible-ish."""
        with self._lock:
            roll = self.rng.random()
            for kind in ("error_5xx", "lost_reply", "rate_limit", "reset", "slow"):
                chance: float = getattr(self, kind)
                if roll < chance:
                    self.counts[kind] = self.counts.get(kind, 0) + 1
                    return kind
                roll -= chance
            return None


class FaultyGitHub(FakeGitHub):
    """FakeGitHub that draws a fault for every request from ``plan`` (None: no faults)."""

    plan: FaultPlan | None = None

    read_only = False  # a token that may read but not write: writes answer 403 as GitHub does

    def _take_fault(self, line: str) -> Fault | None:
        if self.read_only and not line.startswith("GET "):
            return Fault(403, message="Resource not accessible by integration")
        kind = self.plan.draw() if self.plan is not None else None
        if kind == "error_5xx":
            return Fault(502, message="Bad Gateway")
        if kind == "rate_limit":
            wait = str(self.plan.retry_after if self.plan else 1)
            return Fault(403, {"retry-after": wait}, "You have exceeded a secondary rate limit.")
        if kind == "reset":
            return Fault(None)
        if kind == "slow":
            return Fault(200, delay=self.plan.slow_s if self.plan else 0.0)
        if kind == "lost_reply":
            self._lose_next.add(threading.get_ident())
        return super()._take_fault(line)

    def handle(self, method: str, raw_path: str, headers: Any, body: bytes) -> tuple[int, dict[str, str], bytes]:
        answer = super().handle(method, raw_path, headers, body)
        if threading.get_ident() in self._lose_next:
            self._lose_next.discard(threading.get_ident())
            # The request was carried out; only the answer is lost on the way back.
            return 502, {"Content-Type": "application/json"}, b'{"message": "Bad Gateway"}'
        return answer

    @property
    def _lose_next(self) -> set[int]:
        if not hasattr(self, "_lose"):
            self._lose: set[int] = set()
        return self._lose


class InjectedResetError(ConnectionResetError):
    """Raised inside the fake's request handler: the server closes the connection without an answer."""


class FaultyAzure(AzureFake):
    """AzureFake that draws a fault for every request from ``plan`` (None: no faults)."""

    plan: FaultPlan | None = None
    read_only = False

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # A dropped connection is an exception in the handler; socketserver would print its traceback.
        self._server.handle_error = lambda request, client_address: None  # type: ignore[method-assign]

    def handle(self, method: str, raw_path: str, headers: Any, raw_body: bytes) -> tuple[int, dict[str, str], Any]:
        # The SDK's own start-up requests (resource locations) go through urllib3's retry, which sleeps for real
        # and cannot be injected; they are spared so the suite stays fast. Everything after them is fair game.
        startup = method == "OPTIONS" or "ResourceAreas" in raw_path
        if self.read_only and not startup and method != "GET":
            return (
                403,
                {},
                _azure_error("TF401027: You need the Git 'PullRequestContribute' permission to perform this action."),
            )
        kind = self.plan.draw() if self.plan is not None and not startup else None
        if kind == "reset":
            raise InjectedResetError(raw_path)
        if kind == "error_5xx":
            return 503, {}, _azure_error("injected 503 Service Unavailable")
        if kind == "rate_limit":
            retry_after = str(self.plan.retry_after if self.plan else 1)
            return 429, {"Retry-After": retry_after}, _azure_error("injected 429 Too Many Requests")
        if kind == "slow":
            time.sleep(self.plan.slow_s if self.plan else 0.0)  # a slow server, on the server's thread
        answer = super().handle(method, raw_path, headers, raw_body)
        if kind == "lost_reply":  # carried out; only the answer is lost on the way back
            return 502, {}, _azure_error("injected 502 Bad Gateway")
        return answer


def _azure_error(message: str) -> dict[str, Any]:
    """The error body Azure DevOps answers with (the fields the SDK reads)."""
    return {
        "$id": "1",
        "innerException": None,
        "message": message,
        "typeName": "InjectedFault",
        "typeKey": "InjectedFault",
        "errorCode": 0,
        "eventId": 3000,
    }


class Forge:
    """A fake forge with its bare repository; subclasses adapt one fake."""

    name = ""
    fake: Any  # FaultyGitHub or FaultyAzure

    def __init__(self, bare: Path, token: str) -> None:
        self.bare = bare
        self.token = token

    def argv(self) -> list[str]:
        raise NotImplementedError

    def environ(self) -> dict[str, str]:
        raise NotImplementedError

    def prs(self) -> list[PRView]:
        raise NotImplementedError

    def merge(self, number: int) -> str:
        raise NotImplementedError

    # Both fakes keep a request log, schema violations, a fault plan and a read-only switch under these names.
    def request_count(self) -> int:
        return len(self.fake.requests)

    def violations(self) -> list[str]:
        return list(self.fake.violations)

    def set_plan(self, plan: FaultPlan | None) -> None:
        self.fake.plan = plan

    def set_read_only(self, read_only: bool) -> None:
        self.fake.read_only = read_only

    def stop(self) -> None:
        raise NotImplementedError

    def texts(self) -> list[str]:
        """Every title and body the forge holds (for the secrets test)."""
        return [text for pr in self.prs() for text in (pr.title, pr.body)]


class GitHubForge(Forge):
    name = "github"

    def __init__(self, bare: Path, token: str, schemas: GitHubSchemas) -> None:
        super().__init__(bare, token)
        self.fake = FaultyGitHub(bare, schemas, tokens={token: "gitops-bot"})
        self.fake.start()
        self.fake.protect("main", "gate")  # auto-merge needs a protected base on GitHub

    def argv(self) -> list[str]:
        return ["--provider", "github", "--token", self.token]

    def environ(self) -> dict[str, str]:
        return {
            "GITHUB_REPOSITORY": "acme/gitops",
            "GITHUB_API_URL": self.fake.api_url,
            "GITOPS_PROMOTION_GITHUB_WRITE_INTERVAL": "0",
        }

    def prs(self) -> list[PRView]:
        views = []
        for pr in self.fake.prs:
            state = "merged" if pr.merged else pr.state
            views.append(PRView(pr.number, pr.head, pr.base, state, pr.title, pr.body, pr.merge_commit_sha))
        return views

    def merge(self, number: int) -> str:
        self.fake.post_status(self.fake.head_sha(number), "gate", "success")  # may auto-merge at once
        pr = self.fake.pr(number)
        if pr.merged and pr.merge_commit_sha:
            return pr.merge_commit_sha
        return self.fake.merge(number)

    def stop(self) -> None:
        self.fake.stop()


class AzureForge(Forge):
    name = "azdo"

    def __init__(self, bare: Path, token: str) -> None:
        super().__init__(bare, token)
        self.fake = FaultyAzure(bare, token=token)
        self.fake.__enter__()

    def argv(self) -> list[str]:
        return ["--provider", "azdo", "--token", self.token, "--api-url", self.fake.base_url]

    def environ(self) -> dict[str, str]:
        return {"BUILD_REPOSITORY_URI": f"{self.fake.base_url}/proj/_git/repo"}

    def prs(self) -> list[PRView]:
        names = {"active": "open", "completed": "merged", "abandoned": "closed"}
        with self.fake.lock:
            return [
                PRView(
                    pr.id,
                    pr.source.removeprefix("refs/heads/"),
                    pr.target.removeprefix("refs/heads/"),
                    names[pr.status],
                    pr.title,
                    pr.description,
                    pr.merge_commit,
                )
                for pr in sorted(self.fake.prs.values(), key=lambda p: p.id)
            ]

    def merge(self, number: int) -> str:
        return self.fake.complete(number)

    def stop(self) -> None:
        self.fake.__exit__(None, None, None)


def make_forge(kind: str, root: Path, apps: list[str], token: str, schemas: GitHubSchemas) -> Forge:
    """A seeded bare repository at ``root/remote.git`` served by the fake ``kind`` forge."""
    root.mkdir(parents=True, exist_ok=True)
    bare = seed_bare_repo(root, seed_files(apps))
    if kind == "github":
        return GitHubForge(bare, token, schemas)
    return AzureForge(bare, token)


def checkout(forge: Forge, dest: Path) -> Path:
    """A fresh clone of the forge's repository, as a CI job would have."""
    return clone(forge.bare, dest)
