"""Click commands for the promotion flow: new, promote, status, reconcile, set-image, demo."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from gitops_promotion.cli.options import (
    RepoArgs,
    allow_moving_tag_option,
    dry_run_option,
    env_option,
    provider_options,
    repo_options,
    run,
)


def _tag_options(func: Any) -> Any:
    func = env_option("--digest", help="Image digest (sha256:...) to pin with the tag.")(func)
    func = env_option("--tag", required=True, help="Image tag to promote.")(func)
    func = env_option("--app", required=True, help="Application (marker name).")(func)
    return env_option("--group", required=True, help="Group (marker namespace).")(func)


@click.command()
@_tag_options
@allow_moving_tag_option
@dry_run_option
@repo_options
@provider_options
def new(group: str, app: str, tag: str, digest: str | None, allow_moving_tag: bool, **kwargs: Any) -> int:
    """Open (or update) the PR that puts TAG into the first environment."""
    from gitops_promotion.commands.new import new as new_command

    args = RepoArgs.from_kwargs(kwargs)
    return run(
        args,
        "new",
        lambda context: new_command(
            context(), group=group, app=app, tag=tag, digest=digest, allow_moving_tag=allow_moving_tag
        ),
    )


@click.command()
@env_option("--sha", help="Commit that was pushed [default: HEAD].")
@env_option("--branch", "branch", env_name="PUSHED_BRANCH", help="Branch that was pushed [default: from CI].")
@dry_run_option
@repo_options
@provider_options
def promote(sha: str | None, branch: str | None, **kwargs: Any) -> int:
    """After a promotion PR merged, open the PR for the next environment."""
    from gitops_promotion.commands.promote import promote as promote_command

    args = RepoArgs.from_kwargs(kwargs)
    return run(args, "promote", lambda context: promote_command(context(), sha=sha, branch=branch))


@click.command()
@env_option("--branch", help="PR head branch [default: GITHUB_HEAD_REF, SYSTEM_PULLREQUEST_SOURCEBRANCH].")
@env_option("--timeout", help="How long to wait, e.g. 90s or 10m [default: status_timeout_minutes].")
@dry_run_option
@repo_options
@provider_options
def status(branch: str | None, timeout: str | None, **kwargs: Any) -> int:
    """Gate a promotion PR on the previous environment's Flux status (exit 0 open, 1 closed)."""
    import os
    from dataclasses import replace

    from gitops_promotion.ci import detect
    from gitops_promotion.commands.status import status as status_command
    from gitops_promotion.durations import parse_duration
    from gitops_promotion.errors import UsageError

    args = RepoArgs.from_kwargs(kwargs)

    def body(context: Any) -> Any:
        head = branch or detect(dict(os.environ), click.echo).pr_source_branch()
        head = head or os.environ.get("GITHUB_HEAD_REF") or os.environ.get("SYSTEM_PULLREQUEST_SOURCEBRANCH")
        try:
            seconds = parse_duration(timeout) if timeout else None
        except ValueError as exc:
            raise UsageError(f"--timeout: {exc}") from None
        ctx = context()
        head = head or ctx.repo.current_branch()
        result = status_command(ctx, branch=head, timeout_s=seconds)
        if ctx.dry_run:  # the gate status a real run would post
            result = replace(result, lines=(*result.lines, *ctx.planned_calls()))
        return result

    return run(args, "status", body)


@click.command()
@env_option("--dry-run", is_flag=True, help="List what would be opened or posted; change nothing.")
@repo_options
@provider_options
def reconcile(dry_run: bool, **kwargs: Any) -> int:
    """Open every promotion that should be in flight and is not, and re-post every open promotion PR's gate.

    Safe to run at any time; run it on a schedule (every 10 minutes) so a lost CI run or a waiting gate heals.
    """
    from gitops_promotion.commands.reconcile import reconcile as reconcile_command

    args = RepoArgs.from_kwargs(kwargs)

    def body(context: Any) -> Any:
        ctx = context()
        ctx.dry_run = dry_run
        return reconcile_command(ctx)

    return run(args, "reconcile", body)


@click.command("set-image")
@_tag_options
@env_option("--dry-run", is_flag=True, help="Print a unified diff instead of writing.")
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@env_option("--registry-auth", help="Registry credentials for a :digest marker, user:password or a token.")
@env_option("--output", "output", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@env_option("-v", "--verbose", is_flag=True, help="Show details and tracebacks.")
def set_image(
    *,
    group: str,
    app: str,
    tag: str,
    digest: str | None,
    dry_run: bool,
    paths: tuple[Path, ...],
    registry_auth: str | None,
    output: str,
    verbose: bool,
) -> int:
    """Rewrite the image markers of GROUP:APP under each PATH (file or directory) in place.

    A :digest marker without --digest gets the tag's digest from the registry.
    """
    import os

    from gitops_promotion.commands.pinning import registry_settings
    from gitops_promotion.commands.set_image import set_image as set_image_command

    args = RepoArgs(
        sourcedir=Path(),
        config_path=None,
        git_name=None,
        git_email=None,
        output=output,
        verbose=verbose,
        registry_auth=registry_auth,
    )
    return run(
        args,
        "set-image",
        lambda _context: set_image_command(
            paths=list(paths),
            group=group,
            app=app,
            tag=tag,
            digest=digest,
            dry_run=dry_run,
            cwd=Path.cwd(),
            registry=lambda: registry_settings(None, registry_auth, dict(os.environ)),
        ),
    )


@click.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to create the example repo [default: a new temporary directory].",
)
@click.option("--tag", default="6.5.0", show_default=True, help="Tag to promote.")
@click.option("--output", type=click.Choice(["text", "json"]), default="text", help="Output format.")
@click.option("-v", "--verbose", is_flag=True, help="Show details and tracebacks.")
def demo(directory: Path | None, tag: str, output: str, verbose: bool) -> int:
    """Promote an image through dev, qa and prod on a generated local repo (no network, no forge)."""
    import os
    import tempfile

    from gitops_promotion.cli.options import build_context
    from gitops_promotion.commands.demo import run_demo

    root = directory or Path(tempfile.mkdtemp(prefix="gitops-promotion-demo-"))
    root.mkdir(parents=True, exist_ok=True)
    args = RepoArgs(
        sourcedir=root,
        config_path=None,
        git_name=None,
        git_email=None,
        output=output,
        verbose=verbose,
        provider="local",
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "TF_BUILD", "SYSTEM_"))}

    def open_context(path: Path) -> Any:
        return build_context(RepoArgs(**{**args.__dict__, "sourcedir": path}), environ)

    return run(args, "demo", lambda _context: run_demo(root, open_context, tag=tag))
