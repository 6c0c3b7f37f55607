"""Where an Azure DevOps repository lives: organisation/collection URL, project and repository name.

Pure string work, no SDK: it reads the git remote (HTTPS, SSH, visualstudio.com, on-premises collection
URLs) and the Azure Pipelines variables, so it can be tested without a network and imported cheaply.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

from gitops_promotion.errors import UsageError

# git@ssh.dev.azure.com:v3/org/project/repo, ssh://git@ssh.dev.azure.com/v3/...,
# org@vs-ssh.visualstudio.com:v3/org/project/repo
_SSH = re.compile(
    r"^(?:ssh://)?[^@/]+@(?P<host>(?:ssh\.dev\.azure\.com|[^:/]*vs-ssh\.visualstudio\.com))(?::\d+)?[:/]"
    r"v3/(?P<org>[^/]+)/(?P<project>[^/]+)/(?P<repo>[^/]+?)/?$"
)


@dataclass(frozen=True)
class AzureRepo:
    """A repository; ``base_url`` is the organisation (cloud) or collection (server) URL of the API."""

    base_url: str
    project: str
    repo: str

    @property
    def web_url(self) -> str:
        """The repository page, used to build PR links (names quoted as Azure DevOps does)."""
        return f"{self.base_url}/{quote(self.project)}/_git/{quote(self.repo)}"


@dataclass(frozen=True)
class _Parsed:
    base_url: str | None
    project: str | None
    repo: str | None


def _strip_git(name: str) -> str:
    return name[:-4] if name.endswith(".git") else name


def _parse_ssh(remote: str) -> _Parsed | None:
    match = _SSH.match(remote)
    if not match:
        return None
    org = unquote(match["org"])
    host = match["host"]
    base = f"https://dev.azure.com/{quote(org)}" if host == "ssh.dev.azure.com" else f"https://{org}.visualstudio.com"
    return _Parsed(base, unquote(match["project"]), unquote(_strip_git(match["repo"])))


def _split_base(origin: str, host: str, segments: list[str]) -> tuple[str | None, list[str]]:
    """(base URL, path segments left before ``/_git/``) by host: cloud organisations, then collections."""
    if host == "dev.azure.com":
        return (f"{origin}/{segments[0]}", segments[1:]) if segments else (None, [])
    if host.endswith(".visualstudio.com"):
        collection = [s for s in segments if s.lower() == "defaultcollection"]
        rest = [s for s in segments if s.lower() != "defaultcollection"]
        return origin + ("/" + collection[0] if collection else ""), rest
    # Azure DevOps Server: https://host/tfs/Collection/Project/_git/Repo; the last segment is the project.
    if len(segments) < 2:
        return None, segments
    return origin + "/" + "/".join(segments[:-1]), segments[-1:]


def _parse_https(remote: str, api_url: str | None) -> _Parsed | None:
    parts = urlsplit(remote)
    if parts.scheme not in ("http", "https") or "/_git/" not in parts.path:
        return None
    before, _, after = parts.path.partition("/_git/")
    repo = unquote(_strip_git(after.strip("/").split("/")[0]))
    segments = [s for s in before.split("/") if s]
    host = parts.hostname or ""
    prefix = [s for s in urlsplit(api_url or "").path.split("/") if s]
    if api_url and segments[: len(prefix)] == prefix:
        # The collection path is known: what follows it before /_git/ is the project.
        base, rest = None, segments[len(prefix) :]
    else:
        base, rest = _split_base(f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}", host, segments)
    # .../org/_git/repo: a project whose default repository shares the project's name.
    return _Parsed(base, unquote(rest[0]) if rest else repo, repo)


def parse_remote(remote: str, api_url: str | None = None) -> _Parsed:
    """Split a remote into (base URL, project, repo); unknown parts are None."""
    remote = remote.strip()
    return _parse_ssh(remote) or _parse_https(remote, api_url) or _Parsed(None, None, None)


def resolve_repo(remote_url: str, environ: Mapping[str, str], api_url: str | None = None) -> AzureRepo:
    """The repository to talk to: ``api_url`` wins for the base URL, then the remote, then pipeline vars."""
    remote = remote_url
    if "/_git/" not in remote and "azure.com" not in remote and "visualstudio.com" not in remote:
        remote = environ.get("BUILD_REPOSITORY_URI", remote)
    parsed = parse_remote(remote, api_url)
    base = api_url or parsed.base_url or environ.get("SYSTEM_COLLECTIONURI")
    project = parsed.project or environ.get("SYSTEM_TEAMPROJECT")
    repo = parsed.repo or environ.get("BUILD_REPOSITORY_NAME")
    if not (base and project and repo):
        missing = [
            what
            for what, value in (
                ("organisation URL (--api-url)", base),
                ("project", project),
                ("repository", repo),
            )
            if not value
        ]
        msg = (
            f"cannot tell the Azure DevOps {', '.join(missing)} from remote {_safe(remote)!r}; use an "
            "https://dev.azure.com/<org>/<project>/_git/<repo> remote or set SYSTEM_COLLECTIONURI, "
            "SYSTEM_TEAMPROJECT and BUILD_REPOSITORY_NAME"
        )
        raise UsageError(msg)
    return AzureRepo(base.rstrip("/"), unquote(project), unquote(repo))


def _safe(remote: str) -> str:
    """The remote without any user:password part, so a token in a URL is never echoed."""
    parts = urlsplit(remote)
    if parts.scheme in ("http", "https") and "@" in parts.netloc:
        return parts._replace(netloc=parts.netloc.rsplit("@", 1)[1]).geturl()
    return remote
