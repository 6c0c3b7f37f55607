"""Where the GitHub repository and its APIs are: owner/repo, REST base, GraphQL URL (github.com or GHES)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from gitops_promotion.errors import UsageError

DEFAULT_API_URL = "https://api.github.com"
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")
_OWNER_REPO = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$")


@dataclass(frozen=True)
class GitHubLocation:
    owner: str
    repo: str
    api_url: str
    graphql_url: str

    @property
    def full_name(self) -> str:
        return f"{self.owner}/{self.repo}"


def parse_remote(url: str) -> tuple[str, str, str] | None:
    """(host, owner, repo) from an https, ssh:// or scp-like (`git@host:o/r.git`) remote; None for a path."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme == "file" or not parts.hostname:
            return None
        host, path = parts.hostname, parts.path
    else:
        match = _SCP_LIKE.match(url)
        if match is None or url.startswith(("/", ".")):
            return None
        host, path = match["host"], match["path"]
    segments = [s for s in path.strip("/").removesuffix(".git").split("/") if s]
    if len(segments) < 2:
        return None
    return host, segments[-2], segments[-1]


def graphql_url_for(api_url: str) -> str:
    """GraphQL endpoint for a REST base: `/api/v3` -> `/api/graphql` (GHES), else `<base>/graphql`."""
    parts = urlsplit(api_url.rstrip("/"))
    path = parts.path
    path = path[: -len("/v3")] + "/graphql" if path.endswith("/v3") else path + "/graphql"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def locate(remote_url: str, environ: Mapping[str, str], api_url: str | None = None) -> GitHubLocation:
    """Resolve the repository (the remote, else GITHUB_REPOSITORY) and API URLs (flag, env, remote host)."""
    remote = parse_remote(remote_url)
    full_name = environ.get("GITHUB_REPOSITORY", "").strip()
    if remote is not None:
        # The checkout's remote wins: a workflow in the app repo that checks out the GitOps repo has
        # GITHUB_REPOSITORY naming the app repo, not the one to open pull requests on.
        owner, repo = remote[1], remote[2]
    elif full_name:
        if not _OWNER_REPO.match(full_name):
            msg = f"GITHUB_REPOSITORY={full_name!r} is not of the form owner/repo"
            raise UsageError(msg)
        owner, repo = full_name.split("/")
    else:
        msg = "cannot tell the GitHub repository: set GITHUB_REPOSITORY=owner/repo or use a GitHub remote"
        raise UsageError(msg)
    env_api = environ.get("GITHUB_API_URL", "").strip()
    if api_url:
        base = api_url
    elif env_api:
        base = env_api
    elif remote is not None and remote[0] not in {"github.com", "www.github.com", "ssh.github.com"}:
        base = f"https://{remote[0]}/api/v3"  # GitHub Enterprise Server serves its API under /api/v3
    else:
        base = DEFAULT_API_URL
    base = base.rstrip("/")
    # GITHUB_GRAPHQL_URL goes with GITHUB_API_URL (both set by Actions); an explicit --api-url wins over both.
    env_graphql = environ.get("GITHUB_GRAPHQL_URL", "").strip()
    same_base = not api_url or api_url.rstrip("/") == env_api.rstrip("/")
    graphql = env_graphql if env_graphql and same_base else graphql_url_for(base)
    if urlsplit(graphql).netloc != urlsplit(base).netloc:
        msg = f"GITHUB_GRAPHQL_URL {graphql} is not on the API host of {base}; set both for the same server"
        raise UsageError(msg)
    return GitHubLocation(owner=owner, repo=repo, api_url=base, graphql_url=graphql)
