"""Click commands for release management: show, history, release, rollback, policy check."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

if TYPE_CHECKING:
    from gitops_promotion.commands.policy_check import CheckKind

from gitops_promotion.cli.options import (
    RepoArgs,
    allow_moving_tag_option,
    dry_run_option,
    env_option,
    provider_options,
    repo_options,
    run,
)


def _app_options(func: Any) -> Any:
    func = env_option("--app", required=True, help="Application (marker name).")(func)
    return env_option("--group", required=True, help="Group (marker namespace).")(func)


def _release_options(func: Any) -> Any:
    func = env_option("--requester", help="Who asks [default: GITHUB_ACTOR, BUILD_REQUESTEDFOR, git user.name].")(func)
    # --force overrides a safety rule: a flag typed on purpose, never an environment variable (issue 14).
    func = click.option("--force", is_flag=True, help="Override a freeze (recorded in the PR).")(func)
    func = dry_run_option(func)
    func = allow_moving_tag_option(func)
    return env_option("--reason", default="", help="Why; recorded in the PR body.")(func)


@click.command()
@env_option("--group", help="Only this group.")
@env_option("--app", help="Only this application.")
@env_option(
    "--output",
    "output",
    type=click.Choice(["text", "json", "markdown", "html"]),
    default="text",
    env_name="SHOW_OUTPUT",
    help="Output format.",
)
@env_option("--out", type=click.Path(dir_okay=False, path_type=Path), help="File for --output html.")
@env_option("--offline", is_flag=True, help="Read git only: no open PRs, no gates.")
@env_option("--no-fetch", is_flag=True, help="Use the refs the clone has; do not fetch.")
@env_option(
    "--sourcedir", default=".", type=click.Path(file_okay=False, path_type=Path), help="GitOps repository checkout."
)
@env_option(
    "--config",
    "config_path",
    env_name="CONFIG",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Config file [default: <sourcedir>/gitops-promotion.yaml].",
)
@env_option("-v", "--verbose", is_flag=True, env_name="VERBOSE", help="Show details and tracebacks.")
@provider_options
def show(
    *, group: str | None, app: str | None, output: str, out: Path | None, offline: bool, no_fetch: bool, **kwargs: Any
) -> int:
    """What runs where: the app x environment matrix, arrivals, lag, open PRs and gates."""
    from gitops_promotion.commands.show import show as show_command

    args = RepoArgs.from_kwargs(
        {**kwargs, "git_name": None, "git_email": None, "output": "json" if output == "json" else "text"}
    )
    return run(
        args,
        "show",
        lambda context: show_command(
            context(), group=group, app=app, output=output, out=out, offline=offline, fetch=not no_fetch
        ),
    )


@click.command()
@_app_options
@env_option("--env", help="Only this environment.")
@env_option("--offline", is_flag=True, help="Do not ask the forge who merged each PR.")
@repo_options
@provider_options
def history(group: str, app: str, env: str | None, offline: bool, **kwargs: Any) -> int:
    """Every change of an app's tag in each environment, with PRs and authors."""
    from gitops_promotion.commands.history import history as history_command

    args = RepoArgs.from_kwargs(kwargs)
    return run(
        args, "history", lambda context: history_command(context(), group=group, app=app, env=env, offline=offline)
    )


@click.command()
@_app_options
@env_option("--tag", required=True, help="Image tag to release.")
@env_option("--env", required=True, help="Environment to release into.")
@env_option("--digest", help="Image digest (sha256:...) to pin with the tag.")
@_release_options
@repo_options
@provider_options
def release(
    *,
    group: str,
    app: str,
    tag: str,
    env: str,
    digest: str | None,
    reason: str,
    force: bool,
    requester: str | None,
    allow_moving_tag: bool,
    **kwargs: Any,
) -> int:
    """Open a release PR that sets TAG directly in ENV (hotfix path; gated by policy)."""
    from gitops_promotion.commands.release import release as release_command

    args = RepoArgs.from_kwargs(kwargs)
    return run(
        args,
        "release",
        lambda context: release_command(
            context(),
            group=group,
            app=app,
            tag=tag,
            env=env,
            digest=digest,
            reason=reason,
            force=force,
            requester=requester,
            allow_moving_tag=allow_moving_tag,
        ),
    )


@click.command()
@_app_options
@env_option("--env", required=True, help="Environment to roll back.")
@env_option("--to", "to", env_name="ROLLBACK_TO", help="Tag to go back to [default: the previous one in history].")
@_release_options
@repo_options
@provider_options
def rollback(
    *,
    group: str,
    app: str,
    env: str,
    to: str | None,
    reason: str,
    force: bool,
    requester: str | None,
    allow_moving_tag: bool,
    **kwargs: Any,
) -> int:
    """Open a rollback PR that puts the previous tag (or --to) back into ENV."""
    from gitops_promotion.commands.release import rollback as rollback_command

    args = RepoArgs.from_kwargs(kwargs)
    return run(
        args,
        "rollback",
        lambda context: rollback_command(
            context(),
            group=group,
            app=app,
            env=env,
            to=to,
            reason=reason,
            force=force,
            requester=requester,
            allow_moving_tag=allow_moving_tag,
        ),
    )


@click.group()
def policy() -> None:
    """Environment policies (allowed_tags, require_previous, freeze, auto)."""


@policy.command("check")
@_app_options
@env_option("--tag", required=True, help="Image tag.")
@env_option("--env", required=True, help="Target environment.")
@env_option(
    "--type",
    "kind",
    type=click.Choice(["promote", "release", "rollback"]),
    default="promote",
    env_name="PR_TYPE",
    help="Kind of change to check.",
)
@click.option("--force", is_flag=True, help="As with release --force.")
@repo_options
def policy_check(*, group: str, app: str, tag: str, env: str, kind: str, force: bool, **kwargs: Any) -> int:
    """Explain whether TAG may go into ENV (exit 0 allowed, 1 blocked)."""
    from gitops_promotion.commands.policy_check import policy_check as check_command

    args = RepoArgs.from_kwargs(kwargs)
    return run(
        args,
        "policy check",
        lambda context: check_command(
            context(), group=group, app=app, tag=tag, env=env, kind=cast("CheckKind", kind), force=force
        ),
    )
