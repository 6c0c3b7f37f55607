"""The token the GitHub adapter uses: given directly, or minted from GitHub App credentials for the repo."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TypeVar

from gitops_promotion.errors import ProviderError, UsageError
from gitops_promotion.providers.github_http import GitHubHTTPError
from gitops_promotion.providers.github_retry import Resilience
from gitops_promotion.providers.github_urls import GitHubLocation

T = TypeVar("T")

NO_AUTH = "no GitHub token: pass --token or set GITHUB_TOKEN (or give --github-app-id with --github-app-private-key)"
WORKFLOW_AUTH_WARNING = (
    "the token looks like the workflow's GITHUB_TOKEN: pull requests it merges start no further "
    "workflow runs, "
    "so the promotion stops after the first environment; use a GitHub App (--github-app-id, "
    "--github-app-private-key) or a personal access token"
)


def read_private_key(value: str) -> str:
    """The PEM text of ``--github-app-private-key``: the key itself or the path of a file holding it."""
    if value.lstrip().startswith("-----BEGIN"):
        # Keys pasted into CI variables often carry literal "\n" sequences instead of newlines.
        return value if "\n" in value.strip() else value.replace("\\n", "\n")
    if "\n" in value or len(value) > 4096:
        msg = "--github-app-private-key is neither a PEM key nor a file path"
        raise UsageError(msg)
    path = Path(value).expanduser()
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        msg = f"--github-app-private-key: cannot read {path}: {exc.strerror or exc}"
        raise UsageError(msg) from None
    if "-----BEGIN" not in text:
        msg = f"--github-app-private-key: {path} holds no PEM key"
        raise UsageError(msg)
    return text


def _check_rsa_key(pem: str) -> None:
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    try:
        load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        msg = "--github-app-private-key is not a valid unencrypted PEM private key"
        raise UsageError(msg) from None


def _sdk(func: Callable[[], T]) -> Callable[[], T]:
    """``func`` with PyGithub's errors turned into the GitHubHTTPError that Resilience retries and words."""
    from github import GithubException

    def call() -> T:
        try:
            return func()
        except GithubException as exc:
            headers = {str(k).lower(): str(v) for k, v in (exc.headers or {}).items()}
            data = exc.data if isinstance(exc.data, dict) else {"message": exc.message or ""}
            raise GitHubHTTPError(exc.status, headers, data) from None

    return call


def app_installation_token(
    app_id: str, private_key: str, location: GitHubLocation, resilience: Resilience, timeout: int
) -> str:
    """Sign a JWT as the app, find its installation on the repository, and mint an installation token."""
    from github import Auth, GithubIntegration

    if not app_id.strip().isdigit():
        msg = f"--github-app-id {app_id!r} must be the numeric App ID"
        raise UsageError(msg)
    pem = read_private_key(private_key)
    _check_rsa_key(pem)
    integration = GithubIntegration(
        auth=Auth.AppAuth(int(app_id), pem),
        base_url=location.api_url,
        timeout=timeout,
        retry=None,
        seconds_between_requests=None,
        seconds_between_writes=None,
    )
    try:
        installation = resilience.call(
            f"find the installation of GitHub App {app_id} on {location.full_name}",
            _sdk(lambda: integration.get_repo_installation(location.owner, location.repo)),
        )
    except ProviderError as exc:
        if " 404 " in f" {exc.message} ":
            msg = f"GitHub App {app_id} is not installed on {location.full_name}: install it on that repository"
            raise ProviderError(msg) from None
        raise
    grant = resilience.call(
        f"create an installation token for GitHub App {app_id}",
        _sdk(lambda: integration.get_access_token(installation.id)),
        write=True,
    )
    token: str = grant.token
    return token


def resolve_token(
    *,
    token: str | None,
    app_id: str | None,
    app_private_key: str | None,
    environ: Mapping[str, str],
    location: GitHubLocation,
    resilience: Resilience,
    timeout: int,
) -> tuple[str, list[str]]:
    """(token, warnings). App credentials win over a token: GITHUB_TOKEN is often ambient in a workflow."""
    warnings: list[str] = []
    if app_id or app_private_key:
        if not (app_id and app_private_key):
            missing = "--github-app-private-key" if app_id else "--github-app-id"
            msg = f"GitHub App authentication needs {missing} too"
            raise UsageError(msg)
        return app_installation_token(app_id, app_private_key, location, resilience, timeout), warnings
    if not token:
        raise UsageError(NO_AUTH)
    # Workflow tokens are installation tokens (ghs_); a PAT (ghp_, github_pat_) has no such limitation.
    if environ.get("GITHUB_ACTIONS") == "true" and token.startswith("ghs_"):
        warnings.append(WORKFLOW_AUTH_WARNING)
    return token, warnings
