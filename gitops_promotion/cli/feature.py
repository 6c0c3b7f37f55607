"""Click commands for feature (review) environments: feature and feature-stale."""

from __future__ import annotations

from typing import Any

import click

from gitops_promotion.cli.options import RepoArgs, dry_run_option, env_option, provider_options, repo_options, run


@click.command()
@env_option("--group", required=True, help="Group (marker namespace).")
@env_option("--app", required=True, help="Application (marker name).")
@env_option("--tag", required=True, help="Image tag of the feature build.")
@env_option("--feature", required=True, help="Feature name; made a DNS label (e.g. the branch name).")
@dry_run_option
@repo_options
@provider_options
def feature(group: str, app: str, tag: str, feature: str, **kwargs: Any) -> int:
    """Deploy TAG as feature FEATURE of APP in the first environment (a PR that is never promoted).

    With featureOverwrite the app itself runs TAG; otherwise its objects (featureLabelSelector) are copied
    into <env>/<app>-<feature>/ with the feature's name suffix, hostnames and image (needs kustomize or
    kubectl on PATH).
    """
    from gitops_promotion.commands.feature import feature as feature_command

    args = RepoArgs.from_kwargs(kwargs)
    return run(
        args, "feature", lambda context: feature_command(context(), group=group, app=app, tag=tag, feature=feature)
    )


@click.command("feature-stale")
@env_option(
    "--max-age",
    default="7d",
    show_default=True,
    help="Remove feature copies whose last commit is older than this (e.g. 7d, 168h).",
)
@dry_run_option
@repo_options
@provider_options
def feature_stale(max_age: str, **kwargs: Any) -> int:
    """Open one PR (remove/stale-feature) removing feature copies with no commit for MAX_AGE."""
    from gitops_promotion.commands.feature_stale import feature_stale as stale_command
    from gitops_promotion.commands.feature_stale import parse_max_age

    args = RepoArgs.from_kwargs(kwargs)

    def body(context: Any) -> Any:
        return stale_command(context(), max_age=parse_max_age(max_age))

    return run(args, "feature-stale", body)
