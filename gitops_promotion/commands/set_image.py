"""``set-image``: the manifest engine as a command (like ``kustomize edit set image``, for markers)."""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from gitops_promotion.errors import UsageError
from gitops_promotion.manifests import FileEdit, apply_edits, plan_edits, validate_digest, validate_tag
from gitops_promotion.manifests.edit import load_app_files
from gitops_promotion.names import validate_name
from gitops_promotion.result import Result

if TYPE_CHECKING:
    from gitops_promotion.registry import RegistrySettings


def set_image(
    *,
    paths: Sequence[Path],
    group: str,
    app: str,
    tag: str,
    digest: str | None,
    dry_run: bool,
    cwd: Path,
    repo_root: Path | None = None,
    registry: Callable[[], RegistrySettings] | None = None,
) -> Result:
    """Point every marker of ``group:app`` under ``paths`` at ``tag`` (and ``digest``); list changed files."""
    if not paths:
        msg = "set-image needs at least one PATH (a manifest file or a directory)"
        raise UsageError(msg)
    validate_name("group", group)
    validate_name("app", app)
    validate_tag(tag)
    if digest is not None:
        validate_digest(digest)
    absolute = [path if path.is_absolute() else cwd / path for path in paths]
    for given, path in zip(paths, absolute, strict=True):
        if not os.path.lexists(path):
            msg = f"PATH {given}: no such file or directory"
            raise UsageError(msg)
    root = repo_root if repo_root is not None else find_repo_root(absolute[0]) or cwd
    loaded = load_app_files(absolute, repo_root=root, group=group, app=app)  # the tree is read once, here
    if registry is not None:  # a :digest marker gets the tag's digest (or the run fails, nothing written)
        from gitops_promotion.commands.pinning import pin_digest

        digest = pin_digest(
            absolute, repo_root=root, group=group, app=app, tag=tag, digest=digest, settings=registry, files=loaded
        )
    edits = plan_edits(absolute, repo_root=root, group=group, app=app, tag=tag, digest=digest, files=loaded)
    files = [os.path.relpath(edit.path, cwd) for edit in edits]
    data = {"files": files, "dry_run": dry_run}
    if not edits:
        return Result(outcome="nothing-to-do", message="", data=data)
    if dry_run:
        return Result(outcome="changed", message="", lines=tuple(unified_diff(edits, files)), data=data)
    apply_edits(edits)
    return Result(outcome="changed", message="", lines=tuple(files), data=data)


def find_repo_root(path: Path) -> Path | None:
    """The nearest directory at or above ``path`` holding ``.git`` (a directory, or a worktree's file)."""
    here = path if path.is_dir() else path.parent
    for candidate in (here, *here.parents):
        if (candidate / ".git").exists():
            return candidate
    return None


def unified_diff(edits: Sequence[FileEdit], names: Sequence[str]) -> list[str]:
    """A ``git diff``-like unified diff of the planned edits (line endings not shown)."""
    import difflib  # only --dry-run needs it

    lines: list[str] = []
    for edit, name in zip(edits, names, strict=True):
        before = edit.before.decode(errors="replace").splitlines()
        after = edit.after.decode(errors="replace").splitlines()
        diff = difflib.unified_diff(before, after, fromfile=f"a/{name}", tofile=f"b/{name}", lineterm="")
        lines.extend(diff)
    return lines
