"""Retries, rate-limit waits and write spacing for GitHub calls, with injectable sleep and clock.

Requests go through github_http (PyGithub, used only to mint GitHub App tokens, has its retries and throttling
off: its waits cannot be injected, so not tested, and it spaced reads too, DESIGN 8). Here reads go at once,
writes keep GitHub's one-second spacing, 5xx and dropped connections back off exponentially, and rate limits
wait for Retry-After or x-ratelimit-reset.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

import requests

from gitops_promotion.errors import ProviderError
from gitops_promotion.providers.failures import Kind, classify, provider_error
from gitops_promotion.providers.github_http import GitHubHTTPError

T = TypeVar("T")
_TRANSIENT = {500, 502, 503, 504}
SECONDARY_DEFAULT_WAIT = 60.0  # GitHub: "wait for at least one minute" when no header says how long


@dataclass
class Resilience:
    """Run one API call with GitHub's retry rules; every failure ends as a one-line ProviderError."""

    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time
    attempts: int = 5
    backoff: float = 1.0
    max_wait: float = 300.0
    write_interval: float = 1.0
    secrets: tuple[str, ...] = field(default=(), repr=False)
    _last_write: float | None = field(default=None, repr=False)
    waits: list[float] = field(default_factory=list, repr=False)

    def call(self, what: str, func: Callable[[], T], *, write: bool = False) -> T:
        """Call ``func`` (retrying what is worth retrying); ``what`` names the action in error messages."""
        for attempt in range(1, self.attempts + 1):
            if write:
                self._space_write()
            try:
                result = func()
            except GitHubHTTPError as exc:
                wait = self._wait_for(exc, attempt)
                if wait is None or attempt == self.attempts:
                    text = self._scrub(f"GitHub refused to {what}: {describe(exc)}")
                    raise github_error(text, classify(exc.status, describe(exc))) from None
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == self.attempts:
                    msg = f"cannot reach GitHub to {what}: {type(exc).__name__}"
                    raise github_error(self._scrub(msg), "network") from None
                wait = self.backoff * 2 ** (attempt - 1)
            else:
                if write:
                    self._last_write = self.clock()
                return result
            self._pause(wait)
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    def _space_write(self) -> None:
        if self._last_write is not None and self.write_interval > 0:
            remaining = self._last_write + self.write_interval - self.clock()
            if remaining > 0:
                self._pause(remaining)

    def _pause(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.sleep(seconds)

    def _wait_for(self, exc: GitHubHTTPError, attempt: int) -> float | None:
        """Seconds to wait before retrying ``exc``, or None when it is not worth retrying."""
        headers = {k.lower(): str(v) for k, v in (exc.headers or {}).items()}
        if exc.status in _TRANSIENT:
            return float(self.backoff * 2 ** (attempt - 1))
        if exc.status in {403, 429} and _is_rate_limit(exc.status, headers, exc.data):
            wait = self._rate_limit_wait(headers)
            if wait > self.max_wait:
                msg = f"GitHub rate limit exhausted; it resets in {int(wait)} s (over {int(self.max_wait)} s)"
                raise ProviderError(msg, kind="transient")
            return wait
        return None

    def _rate_limit_wait(self, headers: Mapping[str, str]) -> float:
        if "retry-after" in headers:
            return max(float(headers["retry-after"]), 0.0)
        if headers.get("x-ratelimit-remaining") == "0" and "x-ratelimit-reset" in headers:
            return max(float(headers["x-ratelimit-reset"]) - self.clock(), 0.0) + 1.0
        return SECONDARY_DEFAULT_WAIT

    def _scrub(self, text: str) -> str:
        for secret in self.secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def github_error(message: str, kind: Kind) -> ProviderError:
    """A GitHub ProviderError with the fix for its kind (network, token, permission, transient)."""
    return provider_error(
        message,
        kind,
        forge="GitHub",
        where="--token, GITHUB_TOKEN or a GitHub App",
        permission="'Contents: write' and 'Pull requests: write' on the repository (classic token: repo scope)",
    )


def _is_rate_limit(status: int, headers: Mapping[str, str], data: Any) -> bool:
    if status == 429 or "retry-after" in headers or headers.get("x-ratelimit-remaining") == "0":
        return True
    message = data.get("message", "") if isinstance(data, dict) else ""
    return "rate limit" in str(message).lower()


def describe(exc: GitHubHTTPError) -> str:
    """``<status> <message>[: <detail>; ...]`` on one line, from GitHub's error body."""
    data = exc.data if isinstance(exc.data, dict) else {}
    message = str(data.get("message") or exc.message or "error")
    details: Iterable[Any] = data.get("errors") or []
    parts = []
    for item in details:
        parts.append(str(item.get("message") or item.get("code") or item) if isinstance(item, dict) else str(item))
    text = f"{exc.status} {message}" + (f": {'; '.join(parts)}" if parts else "")
    return " ".join(text.split())
