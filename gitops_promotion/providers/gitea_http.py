"""Where the Gitea/Forgejo repository and API are, and one retried JSON request (5xx, 429, dropped connections)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from gitops_promotion.errors import ProviderError, UsageError
from gitops_promotion.providers.github_urls import parse_remote

TIMEOUT_S = 30
ATTEMPTS = 4
MAX_WAIT_S = 30.0


@dataclass(frozen=True)
class GiteaLocation:
    """``api_url`` ends in /api/v1."""

    owner: str
    repo: str
    api_url: str

    def repo_path(self, tail: str = "") -> str:
        return f"{self.api_url}/repos/{quote(self.owner, safe='')}/{quote(self.repo, safe='')}{tail}"


def locate(remote_url: str, environ: Mapping[str, str], api_url: str | None = None) -> GiteaLocation:
    """owner/repo from the remote (else GITHUB_REPOSITORY, which Gitea Actions sets); API from the flag,
    GITHUB_SERVER_URL (Gitea Actions), or the remote's host."""
    remote = parse_remote(remote_url)
    full_name = environ.get("GITHUB_REPOSITORY", "").strip()
    if remote is not None:
        owner, repo = remote[1], remote[2]
    elif full_name.count("/") == 1:
        owner, repo = full_name.split("/")
    else:
        msg = "cannot tell the Gitea repository: set GITHUB_REPOSITORY=owner/repo or use a Gitea remote"
        raise UsageError(msg)
    base = api_url or environ.get("GITHUB_SERVER_URL", "") or (f"https://{remote[0]}" if remote else "")
    if not base.startswith(("http://", "https://")):
        msg = "cannot tell the Gitea server: pass --api-url https://gitea.example.com"
        raise UsageError(msg)
    base = base.rstrip("/")
    return GiteaLocation(owner, repo, base if base.endswith("/api/v1") else f"{base}/api/v1")


@dataclass
class GiteaHttp:
    """JSON requests with the token header; ``sleep`` is injectable so retries cost tests nothing."""

    token: str = field(repr=False)
    sleep: Callable[[float], None] = time.sleep
    session: requests.Session = field(default_factory=requests.Session)

    def call(
        self, what: str, method: str, url: str, *, ok: tuple[int, ...] = (200, 201, 204), **kwargs: Any
    ) -> requests.Response:
        """The answer when its status is in ``ok`` (404 may be asked for); else ProviderError naming ``what``."""
        headers = {"Authorization": f"token {self.token}", "Accept": "application/json"}
        for attempt in range(ATTEMPTS):
            last = attempt == ATTEMPTS - 1
            try:
                answer = self.session.request(method, url, headers=headers, timeout=TIMEOUT_S, **kwargs)
            except requests.RequestException as exc:
                if last:
                    raise ProviderError(f"Gitea: could not {what}: {type(exc).__name__}") from None
                self.sleep(0.2 * 2.0**attempt)
                continue
            if answer.status_code in ok:
                return answer
            if (answer.status_code == 429 or answer.status_code >= 500) and not last:
                self.sleep(_wait(answer, attempt))
                continue
            raise ProviderError(f"Gitea: could not {what}: {answer.status_code} {_message(answer)}")
        raise AssertionError("unreachable: the last attempt returns or raises")


def _wait(answer: requests.Response, attempt: int) -> float:
    try:
        wait = float(str(answer.headers.get("Retry-After", "")))
    except ValueError:
        return 0.2 * 2.0**attempt
    return float(min(wait, MAX_WAIT_S))


def _message(answer: requests.Response) -> str:
    try:
        data = answer.json()
    except ValueError:
        return answer.text[:200]
    return str(data.get("message") or data) if isinstance(data, dict) else str(data)[:200]
