"""Every environment branch checked up front (issue 14, item 7): a missing branch of a later environment is
found before anything is pushed, not when the promotion reaches it days later."""

from __future__ import annotations

from gitops_promotion.context import Context
from gitops_promotion.errors import GitError


def head_and_env_branches(ctx: Context, branch: str) -> str | None:
    """The remote commit of head ``branch`` (None: absent), from the one ls-remote that also proves every
    configured environment branch exists; a missing one is an error naming the environment and the setting."""
    env_branches = {env.name: env.branch for env in ctx.config.environments if env.branch}
    heads = ctx.repo.remote_heads([branch, *env_branches.values()])
    for env, env_branch in env_branches.items():
        if env_branch not in heads:
            msg = (
                f"environment {env} (branch: in {ctx.config_path.name}): branch {env_branch!r} does not exist on "
                f"remote {ctx.repo.remote!r}; nothing was pushed"
            )
            raise GitError(msg, file=str(ctx.config_path))
    return heads.get(branch)
