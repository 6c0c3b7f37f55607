"""`feature`: deploy a branch build of an app beside the real one in the first environment (not promoted)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

from gitops_promotion.commands.opening import ensure_allowed, open_promotion
from gitops_promotion.context import Context
from gitops_promotion.errors import ConfigError
from gitops_promotion.gitrepo import GitRepo
from gitops_promotion.names import validate_name
from gitops_promotion.policy import evaluate
from gitops_promotion.result import Result
from gitops_promotion.state import PromotionState


def feature(
    ctx: Context,
    *,
    group: str,
    app: str,
    tag: str,
    feature: str,
    kustomize: Callable[[], list[str]] | None = None,
) -> Result:
    """Open (or update) the ``feature/...`` PR for ``group/app`` at ``tag`` in the first environment.

    With ``featureOverwrite`` the app's own markers get the tag (like `new`); otherwise the app's objects,
    chosen by ``featureLabelSelector``, are copied into ``<app>-<feature>/`` beside the env's kustomization.
    ``kustomize`` finds the render command (default: kustomize, else kubectl, on PATH).
    """
    from gitops_promotion.features.kustomize import find_kustomize
    from gitops_promotion.features.naming import sanitize_feature
    from gitops_promotion.manifests import validate_tag

    name = sanitize_feature(feature)
    state = PromotionState(
        group=validate_name("group", group),
        app=validate_name("app", app),
        tag=validate_tag(tag),
        env=ctx.config.first_env.name,
        feature=name,
        type="feature",
    )
    settings = ctx.config.application(group, app)
    if settings is None:
        msg = f"--app {app}: {group}/{app} is not under groups.{group}.applications in {ctx.config_path.name}"
        raise ConfigError(msg, file=str(ctx.config_path))
    decision = evaluate(ctx.config, state, previous_tag=lambda: None)
    ensure_allowed(decision.allowed, decision.explain(), state)
    notes = [f"feature name {feature!r} sanitised to {name!r}"] if name != feature else []
    if settings.featureOverwrite:
        return _with_notes(open_promotion(ctx, state), notes)
    if not settings.featureLabelSelector:
        msg = (
            f"{ctx.config_path.name}: groups.{group}.applications.{app} needs featureLabelSelector (the "
            "labels of the objects to copy) or featureOverwrite: true for feature deployments"
        )
        raise ConfigError(msg, file=str(ctx.config_path))
    command = (kustomize or find_kustomize)()  # fail before touching git when no kustomize is installed
    from gitops_promotion.features.duplicate import FeatureSpec, write_feature
    from gitops_promotion.features.kustomize import kustomization_file
    from gitops_promotion.features.naming import feature_dir_name

    spec = FeatureSpec(group=group, app=app, tag=state.tag, feature=name, selector=dict(settings.featureLabelSelector))
    repo = ctx.repo
    env_dir = repo.root / ctx.location(state.env, group).path
    written: list[str] = []

    def write() -> Sequence[Path]:
        ours = [env_dir / feature_dir_name(app, name), *filter(None, [kustomization_file(env_dir)])]
        with undo_on_error(repo, ours):
            done = write_feature(spec, env_dir, repo_root=repo.root, command=command)
        written.extend(done.files)
        if done.drift:
            notes.append(
                f"note: {env_dir.relative_to(repo.root).as_posix()}'s kustomization changes the copy "
                f"again: {'; '.join(done.drift)}"
            )
        if done.patched_images:
            notes.append(
                f"{env_dir.relative_to(repo.root).as_posix()} sets the app's image in its images:; "
                "the copy carries a patch that runs after it"
            )
        return changed(repo, done.paths)

    details = _details(state, env_dir.relative_to(repo.root).as_posix())
    result = open_promotion(ctx, state, write=write, details=details)
    if result.outcome == "nothing-to-do":
        result = replace(
            result, message=f"nothing to do: feature {name} of {group}/{app} in {state.env} already runs {state.tag}"
        )
    return _with_notes(replace(result, data={**result.data, "files": written}), notes)


def changed(repo: GitRepo, paths: Sequence[Path]) -> list[Path]:
    """``paths`` when any of them differs from HEAD (tracked or not), else nothing."""
    rel = [p.relative_to(repo.root).as_posix() for p in paths]
    return list(paths) if repo.git("status", "--porcelain", "--untracked-files=all", "--", *rel) else []


@contextmanager
def undo_on_error(repo: GitRepo, paths: Sequence[Path]) -> Iterator[None]:
    """Put ``paths`` back as HEAD has them when the block fails, so a failed run leaves a clean checkout."""
    rel = [p.relative_to(repo.root).as_posix() for p in paths]
    try:
        yield
    except BaseException:
        for path in rel:  # one by one: a path HEAD lacks must not stop the others from being restored
            repo.git("checkout", "--quiet", "HEAD", "--", path, check=False)
        repo.git("clean", "-fdq", "--", *rel, check=False)
        raise


def _details(state: PromotionState, env_path: str) -> str:
    return (
        f"Feature environment `{state.feature}`: a copy of {state.group}/{state.app} running `{state.tag}` "
        f"in `{env_path}/{state.app}-{state.feature}/`.\n\nFeature pull requests are never promoted; "
        "`gitops-promotion feature-stale` removes the copy once it has had no commit for its max age."
    )


def _with_notes(result: Result, notes: list[str]) -> Result:
    return replace(result, lines=(*notes, *result.lines)) if notes else result
