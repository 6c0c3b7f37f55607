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

    names = [name for name in repo.grep_files(rev, MARKER_TEXT, [path]) if is_manifest_path(name)]
    per_file = []
    # One `git cat-file --batch` for every candidate, and only files that can name the app are parsed: its name
    # in the bytes, or a JSON escape that could spell it (issue 17: one `git show` per file was most of promote).
    for name, data in zip(names, repo.read_objects([f"{rev}:{name}" for name in names]), strict=True):
        if data is None or (app.encode() not in data and b"\\u" not in data):
            continue
        image = file_images(data, name).get((group, app))
        if image is not None:
            per_file.append((name, image))
    if not per_file:
        return None
    image = combine(per_file)
    return Deployed(tag=image.tag, digest=image.digest, files=tuple(sorted(name for name, _ in per_file)))
