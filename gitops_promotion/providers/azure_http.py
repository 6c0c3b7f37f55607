"""Requests for the Azure DevOps adapter: our own retry, and SDK errors translated to ApiError.

The SDK retries only GET, PUT and DELETE (through urllib3, sleeping for real); PR creation, updates and
the PR query are POST/PATCH (DESIGN 8). So the SDK's retry is switched off and one loop here retries every
method on 429 and 5xx, honouring Retry-After, with an injectable sleep. Every write we send is safe to
repeat: a repeated PR creation answers TF401179, which the adapter resolves by looking the PR up.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, TypeVar

from gitops_promotion.errors import ProviderError
from gitops_promotion.providers.failures import Kind, classify, fix_for

T = TypeVar("T")

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_ATTEMPTS = 4
MAX_WAIT_S = 60.0
_TF_CODE = re.compile(r"\b(TF\d{5,6})\b")


class ApiError(ProviderError):
    """The API refused a request; ``code`` is the TFxxxxxx error code when the answer carried one."""

    def __init__(self, message: str, *, code: str | None = None, kind: Kind = "refused") -> None:
        fix = fix_for(
            kind,
            "Azure DevOps",
            "--token, SYSTEM_ACCESSTOKEN or AZURE_DEVOPS_EXT_PAT",
            "'Contribute' and 'Contribute to pull requests' (Project settings, Repositories, Security)",
        )
        super().__init__(f"{message} ({fix})" if fix else message, kind=kind)
        self.code = code


def retry_delay(response: Any, attempt: int) -> float:
    """Seconds to wait before the next attempt: Retry-After when the server sent one, else 1, 2, 4..."""
    header = response.headers.get("Retry-After")
    if header is not None:
        try:
            return min(max(float(header), 0.0), MAX_WAIT_S)
        except ValueError:
            pass  # an HTTP date: rare from Azure DevOps; fall back to our own back-off
    return float(min(2**attempt, MAX_WAIT_S))


def retrying(send: Callable[..., Any], sleep: Callable[[float], None]) -> Callable[..., Any]:
    """Wrap msrest's ``ServiceClient.send`` so every method is retried on 429/5xx and dropped connections."""
    from msrest.exceptions import ClientRequestError
    from requests import ConnectionError as DroppedError
    from requests import Timeout

    def send_with_retry(request: Any, headers: Any = None, content: Any = None, **kwargs: Any) -> Any:
        for attempt in range(MAX_ATTEMPTS):
            try:
                response = send(request, headers=headers, content=content, **kwargs)
            except ClientRequestError as exc:
                # A reset or timeout: safe to resend, as every write is (see the module docstring).
                dropped = isinstance(exc.inner_exception, (DroppedError, Timeout))
                if not dropped or attempt == MAX_ATTEMPTS - 1:
                    raise
                sleep(float(min(2**attempt, MAX_WAIT_S)))
                continue
            if response.status_code not in RETRY_STATUSES or attempt == MAX_ATTEMPTS - 1:
                return response
            sleep(retry_delay(response, attempt))
        raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises

    return send_with_retry


def _kind(exc: Exception, text: str) -> Kind:
    """Classify an SDK failure: no answer, a refused token, a missing permission, a failing service."""
    from azure.devops.exceptions import AzureDevOpsAuthenticationError, AzureDevOpsClientRequestError
    from msrest.exceptions import ClientRequestError

    if isinstance(exc, AzureDevOpsAuthenticationError):
        return "auth"
    if isinstance(exc, ClientRequestError) and not isinstance(exc, AzureDevOpsClientRequestError):
        return "network"  # msrest's own: the request got no answer (refused, reset, timed out)
    status = re.search(r"returned an? (\d{3}) status code", text)
    return classify(int(status.group(1)) if status else 0, text)


def _one_line(text: str, token: str) -> str:
    line = " ".join(text.split())
    if token:
        line = line.replace(token, "***")
    return line[:300]


def sdk_call(what: str, fn: Callable[[], T], token: str) -> T:
    """Run one SDK call; its exceptions become ApiError (one line, token masked)."""
    from msrest.exceptions import ClientException

    try:
        return fn()
    except ClientException as exc:
        text = str(getattr(exc, "message", None) or exc)
        match = _TF_CODE.search(text)
        msg = f"Azure DevOps: {what} failed: {_one_line(text, token)}"
        raise ApiError(msg, code=match.group(1) if match else None, kind=_kind(exc, text)) from None
    except ValueError as exc:  # the SDK raises this when the server lacks an API (old Azure DevOps Server)
        msg = f"Azure DevOps: {what} failed: {_one_line(str(exc), token)}"
        raise ApiError(msg) from None
