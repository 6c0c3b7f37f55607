"""Click commands of the local playground: `local merge` and `local flux-status` (local forge only)."""

from __future__ import annotations

from typing import Any

import click

from gitops_promotion.cli.options import RepoArgs, env_option, repo_options, run


@click.group()
def local() -> None:
    """Play the forge and Flux on a repository whose remote is a local path (e.g. the demo's)."""


@local.command()
@click.argument("number", type=int)
@repo_options
def merge(number: int, **kwargs: Any) -> int:
    """Merge pull request NUMBER of the local forge, as a reviewer (or auto-merge) would."""
    from gitops_promotion.commands.local import merge_pr, open_local_forge
    from gitops_promotion.gitrepo import GitRepo

    args = RepoArgs.from_kwargs(kwargs)

    def body(_context: Any) -> Any:
        repo = GitRepo(args.sourcedir)
        return merge_pr(repo, open_local_forge(repo), number)

    return run(args, "local merge", body)


@local.command("flux-status")
@env_option("--env", "env", env_name="ENV", required=True, help="Environment Flux reconciled.")
@env_option("--group", required=True, help="Group (the Kustomization is <group>-<env>).")
@env_option("--failed", is_flag=True, help="Report a failed reconciliation instead.")
@repo_options
def flux_status(env: str, group: str, failed: bool, **kwargs: Any) -> int:
    """Post Flux's commit status for <group>-<env> on the head of the environment's branch."""
    from gitops_promotion.commands.local import open_local_forge, post_flux_status
    from gitops_promotion.config import CONFIG_FILE, load_config
    from gitops_promotion.gitrepo import GitRepo

    args = RepoArgs.from_kwargs(kwargs)

    def body(_context: Any) -> Any:
        repo = GitRepo(args.sourcedir)
        config = load_config(args.config_path or repo.root / CONFIG_FILE)
        forge = open_local_forge(repo)
        return post_flux_status(repo, forge, config, env=env, group=group, state="failure" if failed else "success")

    return run(args, "local flux-status", body)
