"""Entry point: a click group whose subcommands load lazily so start-up imports only click (DESIGN 7)."""

from __future__ import annotations

import sys
from collections.abc import Sequence

import click

from gitops_promotion import __version__

# name -> "module:attribute" of a click command; modules are imported only when the command runs.
COMMANDS: dict[str, str] = {
    "new": "gitops_promotion.cli.promotion:new",
    "promote": "gitops_promotion.cli.promotion:promote",
    "status": "gitops_promotion.cli.promotion:status",
    "reconcile": "gitops_promotion.cli.promotion:reconcile",
    "set-image": "gitops_promotion.cli.promotion:set_image",
    "demo": "gitops_promotion.cli.promotion:demo",
    "feature": "gitops_promotion.cli.feature:feature",
    "feature-stale": "gitops_promotion.cli.feature:feature_stale",
    "show": "gitops_promotion.cli.release:show",
    "history": "gitops_promotion.cli.release:history",
    "release": "gitops_promotion.cli.release:release",
    "rollback": "gitops_promotion.cli.release:rollback",
    "policy": "gitops_promotion.cli.release:policy",
    "init": "gitops_promotion.cli.setup:init",
    "doctor": "gitops_promotion.cli.setup:doctor",
    "completion": "gitops_promotion.cli.setup:completion",
    "local": "gitops_promotion.cli.local:local",
}


# One-line help for the command list, so `--help` need not import every command module.
SHORT_HELP: dict[str, str] = {
    "new": "Open the PR that puts a new tag into the first environment.",
    "promote": "After a promotion PR merged, open the PR for the next environment.",
    "status": "Gate a promotion PR on the previous environment's Flux status.",
    "reconcile": "Open lost promotions and re-post every open PR's gate (run on a schedule).",
    "set-image": "Rewrite image markers in place (like kustomize edit set image).",
    "demo": "Promote an image through dev, qa and prod on a generated local repo.",
    "feature": "Deploy a branch build as a feature environment beside the app.",
    "feature-stale": "Remove feature environments older than --max-age.",
    "show": "What runs where: the version matrix (text, json, markdown, html).",
    "history": "Every change of an app's tag in each environment.",
    "release": "Open a PR that sets a chosen tag in a chosen environment (hotfix).",
    "rollback": "Open a PR that puts an environment back on an earlier tag.",
    "policy": "Explain what the environment policies decide for a promotion.",
    "init": "Write gitops-promotion.yaml and CI pipelines into a GitOps repo.",
    "doctor": "Check the repo and the forge settings; print fixes.",
    "completion": "Print a shell completion script (bash, zsh, fish).",
    "local": "Merge PRs and post Flux statuses by hand on the local forge (playground).",
}


class LazyGroup(click.Group):
    """A group that imports a subcommand's module only when that subcommand is used."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, SHORT_HELP.get(name, "")) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        import importlib

        module_name, attr = target.split(":")
        command: click.Command = getattr(importlib.import_module(module_name), attr)
        return command


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.option(
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=lambda ctx, _param, value: _print_version(ctx) if value else None,
    help="Show the version (and the commit it was built from) and exit.",
)
def cli() -> None:
    """Promote container images through GitOps environments with pull requests.

    Every option can also be set with an environment variable (shown in each command's --help).
    """


def _print_version(ctx: click.Context) -> None:
    from gitops_promotion.build_info import describe

    click.echo(describe(__version__))
    ctx.exit()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return its exit code (0 done, 1 failed/gate closed, 2 usage/config, 3 bug)."""
    try:
        result = cli.main(
            args=list(argv) if argv is not None else None, prog_name="gitops-promotion", standalone_mode=False
        )
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.UsageError as exc:
        # One line, naming the command and the flag; the usage block click prints is noise in CI logs.
        where = exc.ctx.command_path if exc.ctx is not None else "gitops-promotion"
        click.echo(f"error: {where}: {exc.format_message()} (see --help)", err=True)
        return 2
    except click.ClickException as exc:
        click.echo(f"error: {exc.format_message()}", err=True)
        return 2
    except click.exceptions.Exit as exc:
        return int(exc.exit_code or 0)
    if isinstance(result, int):
        return result
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
