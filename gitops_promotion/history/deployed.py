"""What an environment deploys at a given revision, read from git objects (no checkout needed)."""

from __future__ import annotations

from dataclasses import dataclass

from gitops_promotion.flux import MARKER_TEXT, is_manifest_path
from gitops_promotion.gitrepo import GitRepo


@dataclass(frozen=True)
class Deployed:
    tag: str | None
    digest: str | None
    files: tuple[str, ...]  # repo-relative files holding the app's markers


def deployed_at(repo: GitRepo, rev: str, path: str, group: str, app: str) -> Deployed | None:
    """The image ``group:app`` markers under ``path`` say at ``rev``; None when there is no such marker."""
    from gitops_promotion.history.timeline import combine, file_images

    per_file = []
    for name in repo.grep_files(rev, MARKER_TEXT, [path]):
        data = repo.show(rev, name) if is_manifest_path(name) else None
        image = file_images(data, name).get((group, app)) if data is not None else None
        if image is not None:
            per_file.append((name, image))
    if not per_file:
        return None
    image = combine(per_file)
    return Deployed(tag=image.tag, digest=image.digest, files=tuple(sorted(name for name, _ in per_file)))
