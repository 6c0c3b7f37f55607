"""Click commands that set a repository up: init, doctor, and shell completion."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from gitops_promotion.checks import GATE_CONTEXT
from gitops_promotion.cli.options import RepoArgs, env_option, provider_options, repo_options, run

if TYPE_CHECKING:
    from gitops_promotion.commands.app_repo import Platform

COMPLETE_VAR = "_GITOPS_PROMOTION_COMPLETE"  # click's default for prog name "gitops-promotion"


@click.command()
@env_option(
    "--platform",
    type=click.Choice(["github", "azure", "gitlab", "gitea"]),
    help="CI system to write pipelines for [default: from the remote URL, else github].",
)
@env_option(
    "--env",
    "envs",
    env_name="ENVS",
    multiple=True,
    help="Environment, in promotion order (repeat) [default: inferred from <group>/<env>/ dirs].",
)
@env_option("--default-branch", help="Branch promotions merge into [default: the remote's HEAD, else main].")
@env_option("--action-ref", help="The action to use: OWNER/REPO@<commit SHA> (safest) or OWNER/REPO@<tag>.")
@env_option(
    "--app-repo",
    help="Also write the application repository's workflow into this checkout ('-': print it, write nothing).",
)
@click.option(
    "--force",
    is_flag=True,
    help="Rewrite pipelines that differ and merge new apps into the config (a flag, never an environment variable).",
)
@env_option(
    "--flux-manifests",
    type=click.Choice(["print", "write"]),
    help="Instead: print (or write beside each cluster's Kustomizations) the Flux Provider and Alert that post "
    "the commit statuses the gate reads.",
)
@env_option(
    "--sourcedir", default=".", type=click.Path(file_okay=False, path_type=Path), help="GitOps repository checkout."
)
@env_option("--output", "output", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@env_option("-v", "--verbose", is_flag=True, help="Show details and tracebacks.")
def init(  # noqa: PLR0917 - click passes each option as its own parameter
    platform: Platform | None,
    envs: tuple[str, ...],
    default_branch: str | None,
    action_ref: str | None,
    app_repo: str | None,
    force: bool,
    flux_manifests: str | None,
    sourcedir: Path,
    output: str,
    verbose: bool,
) -> int:
    """Write gitops-promotion.yaml and CI pipelines into a GitOps repo; what exists is kept (see --force)."""
    from gitops_promotion import __version__
    from gitops_promotion.commands.init import app_workflow
    from gitops_promotion.commands.init import init as init_command
    from gitops_promotion.result import Result

    args = RepoArgs(
        sourcedir=sourcedir, config_path=None, git_name=None, git_email=None, output=output, verbose=verbose
    )

    def body(_context: Any) -> Any:
        remote, branch = _repo_facts(sourcedir, need_branch=default_branch is None and not flux_manifests)
        chosen: Platform = platform or _platform_of(remote)
        if flux_manifests:
            from gitops_promotion.commands.flux_manifests import flux_manifests as manifests_command

            write = flux_manifests == "write"
            return manifests_command(sourcedir, platform=chosen, remote_url=remote, write=write, force=force)
        if app_repo == "-":
            text = app_workflow(chosen, default_branch=default_branch or branch)
            return Result(outcome="done", message="", lines=(text.rstrip("\n"),), data={"workflow": text})
        return init_command(
            sourcedir,
            platform=chosen,
            envs=envs,
            default_branch=default_branch or branch,
            action_ref=action_ref,
            force=force,
            version=__version__,
            app_repo=Path(app_repo) if app_repo else None,
        )

    return run(args, "init", body)


def _repo_facts(root: Path, *, need_branch: bool) -> tuple[str, str]:
    """(remote URL, default branch) when ``root`` is a git checkout; ("", "main") otherwise.

    Finding the branch may ask the remote (ls-remote), so it is skipped when --default-branch was given.
    """
    from gitops_promotion.errors import UsageError
    from gitops_promotion.gitrepo import GitRepo

    try:
        repo = GitRepo(root)
    except UsageError:
        return "", "main"
    return repo.remote_url(), repo.default_branch() if need_branch else "main"


def _platform_of(remote: str) -> Platform:
    """The CI system that goes with the remote's forge (github when it says nothing)."""
    from gitops_promotion.providers import detect_provider

    forge = detect_provider({}, remote)
    platforms: dict[str, Platform] = {"azdo": "azure", "gitlab": "gitlab", "gitea": "gitea"}
    return platforms.get(forge, "github")


@click.command()
@env_option("--skip-forge", is_flag=True, help="Check only the repository, not the forge's settings.")
@env_option(
    "--required-check",
    default=GATE_CONTEXT,
    show_default=True,
    help="Status check name branch protection must require.",
)
@repo_options
@provider_options
def doctor(skip_forge: bool, required_check: str, **kwargs: Any) -> int:
    """Check the repository and forge settings promotions depend on; exit 1 when something blocks them."""
    from gitops_promotion.cli.options import build_context
    from gitops_promotion.commands.doctor import doctor as doctor_command
    from gitops_promotion.config import CONFIG_FILE
    from gitops_promotion.gitrepo import GitRepo

    args = RepoArgs.from_kwargs(kwargs)
    environ = dict(os.environ)

    def body(_context: Any) -> Any:
        repo = GitRepo(args.sourcedir)
        factory = None if skip_forge else (lambda: build_context(args, environ).provider)
        return doctor_command(
            repo.root,
            config_path=args.config_path or repo.root / CONFIG_FILE,
            repo=repo,
            provider_factory=factory,
            required_check=required_check,
        )

    return run(args, "doctor", body)


@click.command()
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script, e.g.  eval "$(gitops-promotion completion bash)"."""
    from click.shell_completion import get_completion_class

    from gitops_promotion.cli import cli

    completer = get_completion_class(shell)
    if completer is None:  # pragma: no cover - click ships all three
        raise click.UsageError(f"no completion for {shell}")
    click.echo(completer(cli, {}, "gitops-promotion", COMPLETE_VAR).source())
