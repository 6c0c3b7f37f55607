"""Where the GitLab project and its API are, and which token to use (gitlab.com or self-managed)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from gitops_promotion.errors import UsageError

DEFAULT_SERVER = "https://gitlab.com"
# CI variables a project or group access token is commonly stored in; GITLAB_TOKEN is the documented one.
TOKEN_VARS = ("GITLAB_TOKEN", "GL_TOKEN")
_SCP_LIKE = re.compile(r"^(?:[^@/]+@)?(?P<host>[^:/]+):(?P<path>[^/].*)$")
_JOB_CREDENTIAL_LIMITS = (
    "CI_JOB_TOKEN cannot push to the repository or open merge requests; create a project access token "
    "(role Developer, scopes api and write_repository), store it as a masked CI/CD variable GITLAB_TOKEN"
)


@dataclass(frozen=True)
class GitLabLocation:
    """``server`` is the instance root (no /api/v4); ``project`` the full path with nested groups."""

    server: str
    project: str

    @property
    def project_id(self) -> str:
        """The URL-encoded path GitLab accepts wherever a project id goes."""
        return quote(self.project, safe="")


def parse_remote(url: str) -> tuple[str, str] | None:
    """(scheme://host[:port], group/sub/project) from an https, ssh:// or scp-like remote; None for a path."""
    url = url.strip()
    if "://" in url:
        parts = urlsplit(url)
        if parts.scheme == "file" or not parts.hostname:
            return None
        scheme = "https" if parts.scheme in {"ssh", "git", "git+ssh"} else parts.scheme
        # An ssh port is not the web port; http(s) remotes keep theirs (self-managed on :8443, tests).
        port = f":{parts.port}" if parts.port and parts.scheme in {"http", "https"} else ""
        host, path = f"{scheme}://{parts.hostname}{port}", parts.path
    else:
        match = _SCP_LIKE.match(url)
        if match is None or url.startswith(("/", ".")):
            return None
        host, path = f"https://{match['host']}", match["path"]
    project = path.strip("/").removesuffix(".git")
    if project.count("/") < 1:
        return None
    return host, project


def _server_from_api(api_url: str) -> str:
    return re.sub(r"/api/v4/?$", "", api_url.strip().rstrip("/"))


def locate(remote_url: str, environ: Mapping[str, str], api_url: str | None = None) -> GitLabLocation:
    """Project from CI_PROJECT_PATH or the remote; server from --api-url, CI_API_V4_URL, CI_SERVER_URL, remote."""
    remote = parse_remote(remote_url)
    ci_path = environ.get("CI_PROJECT_PATH", "").strip()
    if remote is not None:
        # The checkout's remote wins: an app pipeline that clones the GitOps project has CI_PROJECT_PATH naming
        # the app project, not the one to open merge requests on.
        project = remote[1]
    elif ci_path:
        project = ci_path
    else:
        msg = "cannot tell the GitLab project: set CI_PROJECT_PATH=group/project or use a GitLab remote"
        raise UsageError(msg)
    if api_url:
        server = _server_from_api(api_url)
    elif environ.get("CI_API_V4_URL"):
        server = _server_from_api(environ["CI_API_V4_URL"])
    elif environ.get("CI_SERVER_URL"):
        server = environ["CI_SERVER_URL"].strip().rstrip("/")
    elif remote is not None:
        server = remote[0]
    else:
        server = DEFAULT_SERVER
    if not server.startswith(("http://", "https://")):
        msg = f"--api-url {server!r} must be an http(s) URL such as https://gitlab.example.com/api/v4"
        raise UsageError(msg)
    return GitLabLocation(server=server, project=project)


def resolve_token(explicit: str | None, environ: Mapping[str, str]) -> str:
    """--token, then GITLAB_TOKEN / GL_TOKEN; the job token is refused because it cannot do the work."""
    job_token = environ.get("CI_JOB_TOKEN", "")
    token = explicit or next((environ[v] for v in TOKEN_VARS if environ.get(v)), "")
    if token and job_token and token == job_token:
        msg = f"the token given is CI_JOB_TOKEN: {_JOB_CREDENTIAL_LIMITS}"
        raise UsageError(msg)
    if token:
        return token
    if job_token:
        msg = f"no GitLab token: only CI_JOB_TOKEN is set, and {_JOB_CREDENTIAL_LIMITS}"
        raise UsageError(msg)
    msg = "no GitLab token: pass --token or set GITLAB_TOKEN (a project or group access token)"
    raise UsageError(msg)
