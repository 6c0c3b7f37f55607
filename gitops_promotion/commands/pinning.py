"""Pin the image a promotion names before anything changes: a ``:digest`` marker gets the new tag's digest from
the registry, and with ``registry: {verify: true}`` the tag must exist there (issue 14)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_promotion.errors import ManifestError, PromotionError

if TYPE_CHECKING:
    from gitops_promotion.config import Registry
    from gitops_promotion.context import Context
    from gitops_promotion.manifests.markers import ParsedFile
    from gitops_promotion.registry import RegistrySettings
    from gitops_promotion.state import PromotionState


def registry_settings(registry: Registry | None, auth: str | None, environ: Mapping[str, str]) -> RegistrySettings:
    """The registry settings of a run: config's ``registry:``, ``--registry-auth`` and docker's config.json."""
    from gitops_promotion.registry import RegistrySettings
    from gitops_promotion.registry.credentials import parse_auth

    credentials = parse_auth(auth, source="--registry-auth") if auth is not None else None
    insecure = registry.insecure if registry is not None else ()
    return RegistrySettings(insecure=insecure, credentials=credentials, environ=environ)


def pin_digest(
    paths: Sequence[Path],
    *,
    repo_root: Path,
    group: str,
    app: str,
    tag: str,
    digest: str | None,
    settings: Callable[[], RegistrySettings],
    verify: bool = False,
    files: Sequence[ParsedFile] | None = None,
) -> str | None:
    """The digest to write: ``digest``, else the registry's when a ``:digest`` marker needs one, else None.

    With ``verify`` the tag is looked up even when no digest is needed. Every failure names a marker's
    ``file:line`` and happens before any file, branch or pull request is touched. ``files``: the candidates
    :func:`~gitops_promotion.manifests.edit.load_app_files` returned for these arguments, if already loaded.
    """
    from gitops_promotion.manifests.digests import app_image
    from gitops_promotion.manifests.edit import load_app_files
    from gitops_promotion.manifests.forms import refuse_wrong_forms

    if files is None:
        files = load_app_files(paths, repo_root=repo_root, group=group, app=app)
    refuse_wrong_forms(files, group, app)
    image = app_image(files, group, app)
    need = digest is None and bool(image.digest_markers)
    if image.first is None or not (need or verify):
        return digest  # no marker at all is reported by the edit planner, with what it found instead
    at = image.digest_markers[0] if need else image.first
    file, line = at.rel, at.marker.line
    purpose = "resolve the digest of" if need else "verify (registry.verify) the tag"
    if image.name is None:
        msg = (
            f"{at.where}: cannot {purpose} {tag}: no marker of {group}:{app} holds the image name "
            f'(a {{"$imagepolicy": "{group}:{app}:name"}} marker or a full reference)'
        ) + ("; give --digest" if need else "")
        raise ManifestError(msg, file=file, line=line)
    from gitops_promotion.registry import resolve_digest

    try:
        found = resolve_digest(image.name, tag, settings())
    except PromotionError as exc:
        msg = f"{at.where}: cannot {purpose} {image.name}:{tag}: {exc.message}; nothing changed"
        raise type(exc)(msg, file=file, line=line) from None
    return found if need else digest


def pin_state(
    ctx: Context, state: PromotionState, target: Path, *, files: Sequence[ParsedFile] | None = None
) -> PromotionState:
    """``state`` with the digest its markers under ``target`` need (unchanged when none is needed); ``files``:
    the app's candidates under ``target``, if already loaded."""
    registry = ctx.config.registry
    digest = pin_digest(
        [target],
        repo_root=ctx.repo.root,
        group=state.group,
        app=state.app,
        tag=state.tag,
        digest=state.digest or None,
        settings=lambda: registry_settings(registry, ctx.registry_auth, ctx.environ),
        verify=registry.verify,
        files=files,
    )
    return state if (digest or "") == state.digest else replace(state, digest=digest or "")
