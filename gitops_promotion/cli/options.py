"""Options shared by subcommands, the context they build, and the one place results and errors are shown."""

from __future__ import annotations

import json
import os
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from gitops_promotion.errors import PromotionError

if TYPE_CHECKING:
    from gitops_promotion.context import Context
    from gitops_promotion.providers.base import Provider

F = TypeVar("F", bound=Callable[..., Any])
ENV_PREFIX = "GITOPS_PROMOTION_"


def env_option(*decls: str, **kwargs: Any) -> Callable[[F], F]:
    """A click option that also reads ``GITOPS_PROMOTION_<NAME>`` and shows it in --help."""
    long = next((d for d in decls if d.startswith("--")), decls[0])
    name = kwargs.pop("env_name", None) or long.lstrip("-").split("/")[0].upper().replace("-", "_")
    kwargs.setdefault("envvar", ENV_PREFIX + name)
    kwargs.setdefault("show_envvar", True)
    return click.option(*decls, **kwargs)


def repo_options(func: F) -> F:
    """--sourcedir, --config, git identity, output and verbosity: every command that reads the repo."""
    for decorator in reversed(
        [
            env_option(
                "--sourcedir",
                default=".",
                type=click.Path(file_okay=False, path_type=Path),
                help="GitOps repository checkout.",
            ),
            env_option(
                "--config",
                "config_path",
                env_name="CONFIG",
                type=click.Path(dir_okay=False, path_type=Path),
                help="Config file [default: <sourcedir>/gitops-promotion.yaml].",
            ),
            env_option("--git-name", help="Commit author name."),
            env_option("--git-email", help="Commit author email."),
            env_option(
                "--output",
                "output",
                type=click.Choice(["text", "json"]),
                default="text",
                help="Output format.",
            ),
            env_option("-v", "--verbose", is_flag=True, help="Show details and tracebacks."),
        ]
    ):
        func = decorator(func)
    return func


def provider_options(func: F) -> F:
    """Forge selection and credentials (the Go tool's --provider and --token keep working)."""
    for decorator in reversed(
        [
            env_option(
                "--provider",
                type=click.Choice(["github", "azdo", "gitlab", "gitea", "local"]),
                help="Forge; detected from the CI environment or the remote when omitted.",
            ),
            env_option(
                "--token",
                help="API token (else GITHUB_TOKEN / SYSTEM_ACCESSTOKEN / AZURE_DEVOPS_EXT_PAT / GITLAB_TOKEN / "
                "GITEA_TOKEN).",
            ),
            env_option(
                "--api-url",
                help="API base: GitHub Enterprise API URL, Azure DevOps collection URL, GitLab or Gitea server URL.",
            ),
            env_option("--github-app-id", help="GitHub App id (with --github-app-private-key)."),
            env_option("--github-app-private-key", help="GitHub App private key: PEM text or a file path."),
            env_option(
                "--registry-auth",
                help="Image registry credentials, user:password or a token [default: docker's config.json].",
            ),
        ]
    ):
        func = decorator(func)
    return func


def dry_run_option(func: F) -> F:
    """``--dry-run`` (and GITOPS_PROMOTION_DRY_RUN=true): show the diff and the forge calls, change nothing."""
    return env_option(
        "--dry-run",
        is_flag=True,
        help="Show the diff and the forge calls a real run would make; push, open, merge and post nothing.",
    )(func)


def allow_moving_tag_option(func: F) -> F:
    """``--allow-moving-tag``: a flag only, like --force: overriding a safety rule is typed on purpose."""
    return click.option(
        "--allow-moving-tag",
        is_flag=True,
        help="Accept a moving tag (latest, main, stable ...); or set allow_moving_tags: true in the config.",
    )(func)


@dataclass(frozen=True)
class RepoArgs:
    sourcedir: Path
    config_path: Path | None
    git_name: str | None
    git_email: str | None
    output: str
    verbose: bool
    provider: str | None = None
    token: str | None = None
    api_url: str | None = None
    github_app_id: str | None = None
    github_app_private_key: str | None = None
    registry_auth: str | None = None
    dry_run: bool = False

    @classmethod
    def from_kwargs(cls, kwargs: dict[str, Any]) -> RepoArgs:
        """Pop the shared options out of a click command's kwargs."""
        names = cls.__dataclass_fields__
        return cls(**{k: kwargs.pop(k) for k in list(kwargs) if k in names})


_TOKEN_VARS = {
    "github": ("GITHUB_TOKEN",),
    "azdo": ("SYSTEM_ACCESSTOKEN", "AZURE_DEVOPS_EXT_PAT"),
    "gitlab": ("GITLAB_TOKEN", "GL_TOKEN"),
    "gitea": ("GITEA_TOKEN", "FORGEJO_TOKEN"),
    "local": (),
}


def resolve_token(provider: str, explicit: str | None, environ: dict[str, str]) -> str | None:
    """The token from --token or the forge's variables; one too short to be real is a usage error naming it."""
    from gitops_promotion.errors import UsageError
    from gitops_promotion.secrets import MIN_SECRET_LENGTH

    found = [("--token (or GITOPS_PROMOTION_TOKEN)", explicit)] if explicit else []
    found += [(var, environ[var]) for var in _TOKEN_VARS.get(provider, ()) if environ.get(var)]
    if not found:
        return None
    source, token = found[0]
    if len(token) < MIN_SECRET_LENGTH:
        msg = (
            f"{source} holds {len(token)} character(s): too short to be a real token (forges issue none shorter "
            f"than {MIN_SECRET_LENGTH}); pass the token itself"
        )
        raise UsageError(msg)
    return token


def run(args: RepoArgs, command: str, body: Callable[[Callable[[], Context]], Any]) -> int:
    """Build the context lazily, run ``body`` (which returns a Result), print it, map errors to exit codes.

    ``body`` receives a function that builds the Context on demand, so commands that need no repo do not pay.
    """
    from gitops_promotion.ci import detect
    from gitops_promotion.result import Result
    from gitops_promotion.secrets import redact

    environ = dict(os.environ)
    runtime = detect(environ, click.echo)
    from gitops_promotion.secrets import MIN_SECRET_LENGTH

    # A "token" too short to be real is refused below; masking it would hide every such letter in CI logs.
    found = (args.token, args.github_app_private_key, *_env_secrets(environ))
    secrets = [s for s in found if s and len(s) >= MIN_SECRET_LENGTH]
    secrets += registry_secrets(args.registry_auth)
    for secret in secrets:
        runtime.mask(secret)
    from gitops_promotion.ci.logs import forward_logs

    try:
        with forward_logs(
            runtime, echo=click.echo, secrets=secrets, verbose=args.verbose, title=f"gitops-promotion {command}"
        ):
            result: Result = body(lambda: build_context(args, environ, warn=runtime.warning))
    except PromotionError as error:
        error.message = redact(error.message, secrets)
        runtime.error(error)
        if args.output == "json":
            click.echo(json.dumps({"result": "error", "message": error.message, "exit_code": error.exit_code}))
        return error.exit_code
    except Exception as exc:
        if args.verbose:
            click.echo(redact(traceback.format_exc(), secrets), err=True)
        message = redact(f"unexpected error: {type(exc).__name__}: {exc}", secrets)
        runtime.error(PromotionError(message + ("" if args.verbose else " (rerun with -v for details)")))
        return 3
    if args.output == "json":
        click.echo(json.dumps(result.as_json(), default=str))
    else:
        for line in result.lines:
            click.echo(redact(line, secrets))
        if result.message:
            click.echo(redact(result.message, secrets))
    runtime.publish(result, command=command)
    return result.exit_code


def _env_secrets(environ: dict[str, str]) -> list[str]:
    names = (
        "GITHUB_TOKEN",
        "GITOPS_PROMOTION_TOKEN",
        "SYSTEM_ACCESSTOKEN",
        "AZURE_DEVOPS_EXT_PAT",
        "GITLAB_TOKEN",
        "GL_TOKEN",
        "CI_JOB_TOKEN",
        "GITEA_TOKEN",
        "FORGEJO_TOKEN",
    )
    return [environ[n] for n in names if environ.get(n) and len(environ[n]) >= 8]


def registry_secrets(auth: str | None) -> list[str]:
    """What --registry-auth puts in the run that must never be printed: the value, its password, its base64."""
    if not auth:
        return []
    import base64

    _user, colon, password = auth.partition(":")
    # A short password alone is not registered: replacing it everywhere would garble ordinary words.
    return [auth, base64.b64encode(auth.encode()).decode()] + ([password] if colon and len(password) >= 8 else [])


def build_context(args: RepoArgs, environ: dict[str, str], warn: Callable[[str], None] | None = None) -> Context:
    """Open the checkout, load the config, detect the default branch; the provider is built on first use."""
    from gitops_promotion.ci.identity import identity_from
    from gitops_promotion.config import CONFIG_FILE, load_config
    from gitops_promotion.context import Context
    from gitops_promotion.gitrepo import GitRepo
    from gitops_promotion.providers import ProviderSettings, build_provider, detect_provider

    repo = GitRepo(args.sourcedir)
    config_path = args.config_path or repo.root / CONFIG_FILE
    config = load_config(config_path)
    remote_url = repo.remote_url()
    provider_name = args.provider or detect_provider(environ, remote_url)
    token = resolve_token(provider_name, args.token, environ)
    settings = ProviderSettings(
        repo_root=repo.root,
        # The checkout's own remote wins: in an app pipeline that checks out the GitOps repo, BUILD_REPOSITORY_URI
        # names the app repo. The Azure adapter falls back to it only when the remote is not an Azure URL.
        remote_url=remote_url,
        environ=environ,
        token=token,
        api_url=args.api_url,
        github_app_id=args.github_app_id,
        github_app_private_key=args.github_app_private_key,
    )

    def factory() -> Provider:
        provider = build_provider(provider_name, settings)
        for warning in getattr(provider, "warnings", ()):  # e.g. the workflow GITHUB_TOKEN starts no workflows
            if warn is not None:
                warn(warning)
        repo.auth_header = provider.git_auth_header()
        if repo.auth_header:
            repo.add_secret(repo.auth_header.split()[-1])
        return provider

    return Context(
        repo=repo,
        config=config,
        config_path=config_path,
        default_branch=repo.default_branch(config.default_branch),
        identity=identity_from(environ, args.git_name, args.git_email, repo),
        provider_factory=factory,
        environ=environ,
        registry_auth=args.registry_auth,
        dry_run=args.dry_run,
    )
