"""`local merge` and `local flux-status`: what the forge and Flux do, by hand, on a repository whose remote is a
local path (the demo's, or any bare repository). With them a person walks the whole flow step by step:
`new`, `local merge`, `local flux-status`, `promote`, `status`, ... without any forge or cluster.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gitops_promotion.errors import UsageError
from gitops_promotion.result import Result

if TYPE_CHECKING:
    from gitops_promotion.config import Config
    from gitops_promotion.gitrepo import GitRepo
    from gitops_promotion.providers.base import StatusState
    from gitops_promotion.providers.local import LocalForge


def open_local_forge(repo: GitRepo) -> LocalForge:
    """The local forge of ``repo``; refused when the remote is a real forge (merge there instead)."""
    from gitops_promotion.providers import detect_provider
    from gitops_promotion.providers.local import LocalForge, forge_dir

    remote = repo.remote_url() if repo.has_remote() else ""
    if detect_provider({}, remote) != "local":
        msg = (
            f"gitops-promotion local works only with the local forge (a remote that is a path); "
            f"origin is {remote}: merge pull requests on the forge itself"
        )
        raise UsageError(msg)
    return LocalForge(forge_dir(repo))


def merge_pr(repo: GitRepo, forge: LocalForge, number: int) -> Result:
    """Merge pull request ``number`` as the forge would, then bring the checkout up to date if it is on the base."""
    pr = forge.get_pr(number)
    commit = forge.merge(number)
    lines = [f"merged pull request {number} into {pr.base}: {pr.title}"]
    repo.fetch(pr.base)
    if repo.current_branch() == pr.base and not repo.is_dirty():
        repo.git("merge", "--quiet", "--ff-only", repo.remote_ref(pr.base))
        lines.append(f"checkout fast-forwarded to {commit[:12]}")
    else:
        lines.append(f"update your checkout: git checkout {pr.base} && git pull")
    return Result(
        outcome="merged",
        message=f"next: gitops-promotion local flux-status --env <env> --group <group>, then promote ({commit[:12]})",
        lines=tuple(lines),
        pr_number=number,
        pr_url=pr.url,
        branch=pr.head,
        data={"merge_commit": commit},
    )


def post_flux_status(
    repo: GitRepo, forge: LocalForge, config: Config, *, env: str, group: str, state: StatusState
) -> Result:
    """Post the status Flux's notification-controller would after reconciling ``env`` at its branch's head."""
    default_branch = repo.default_branch(config.default_branch)
    location = config.location(env, group, default_branch)
    repo.fetch(location.branch)
    sha = repo.rev(repo.remote_ref(location.branch))
    if sha is None:
        msg = f"--env {env}: branch {location.branch} does not exist on the remote"
        raise UsageError(msg)
    context = f"kustomization/{group}-{env}/local"
    forge.post_status(sha, context, state, f"Applied revision: {location.branch}@sha1:{sha}")
    return Result(
        outcome="done",
        message=f"posted {context} = {state} on {location.branch} {sha[:12]}",
        environment=env,
        data={"commit": sha, "context": context, "state": state},
    )
