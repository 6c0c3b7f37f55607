"""GitHub's REST and GraphQL APIs over one keep-alive ``requests.Session`` (issue 17: PyGithub's import cost
about 0.1 s of every `status` and `show`; what the adapter sends is a handful of plain JSON requests).

Requests look as PyGithub sent them (``Authorization: token ...``, the same User-Agent, JSON bodies, proxies
and CA bundles from the environment, as ``requests`` reads them); a 4xx/5xx answer becomes ``GitHubHTTPError``,
which ``github_retry.Resilience`` retries or words.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import requests

USER_AGENT = "gitops-promotion"


class GitHubHTTPError(Exception):
    """GitHub answered ``status`` (>= 400); ``data`` is its parsed body, ``headers`` have lower-case names."""

    def __init__(self, status: int, headers: dict[str, str], data: Any) -> None:
        self.status = status
        self.headers = headers
        self.data = data
        self.message = str(data.get("message") or "") if isinstance(data, dict) else ""
        super().__init__(f"{status} {self.message}")


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]  # lower-case names
    data: Any
    next_url: str | None  # the Link header's rel="next", for paged listings


@dataclass
class GitHubHTTP:
    """JSON requests to one GitHub API base (github.com or a GHES ``/api/v3``); paths start with ``/``."""

    api_url: str
    token: str = field(repr=False)
    timeout: float = 30
    session: requests.Session = field(default_factory=requests.Session, repr=False)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        body: Any = None,
        headers: dict[str, str] | None = None,
    ) -> Answer:
        """One request; a path is joined to the API base, an absolute URL (GraphQL, a next page) is used as is."""
        sent = {"Authorization": f"token {self.token}", "User-Agent": USER_AGENT, **(headers or {})}
        target = url if "://" in url else self.api_url + url
        if _origin(target) != _origin(self.api_url):  # a next page or GraphQL URL on another host: no token there
            msg = f"refused to send the token to another host than {_origin(self.api_url)[1]}"
            raise GitHubHTTPError(400, {}, {"message": msg})
        answer = self.session.request(
            method, target, params=params, json=body, headers=sent, timeout=self.timeout, allow_redirects=True
        )
        received = {k.lower(): v for k, v in answer.headers.items()}
        data = _parse(answer.content)
        if answer.status_code >= 400:
            raise GitHubHTTPError(answer.status_code, received, data)
        following = answer.links.get("next", {}).get("url")
        return Answer(answer.status_code, received, data, str(following) if following else None)

    def json(self, method: str, url: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
        """The parsed answer body."""
        return self.request(method, url, params=params, body=body).data

    def pages(self, url: str, params: dict[str, Any] | None = None) -> list[Any]:
        """Every item of a listing, following the Link header's next page (as PyGithub's lists did)."""
        answer = self.request("GET", url, params=params)
        items = list(answer.data or [])
        while answer.next_url:
            answer = self.request("GET", answer.next_url)
            items.extend(answer.data or [])
        return items


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def _parse(content: bytes) -> Any:
    """JSON, else ``{"message": <the text's start>}`` (a proxy's or GHES's HTML error page)."""
    if not content:
        return None
    text = content.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return {"message": text[:200]}
