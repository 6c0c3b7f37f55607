"""What an environment deploys at a given revision, read from git objects (no checkout needed)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from gitops_promotion.gitrepo import GitRepo

MARKER_TOKEN = '"$imagepolicy"'  # noqa: S105 - a YAML comment key, not a password


@dataclass(frozen=True)
class Deployed:
    tag: str | None
    digest: str | None
    files: tuple[str, ...]  # repo-relative files holding the app's markers


def deployed_at(repo: GitRepo, rev: str, path: str, group: str, app: str) -> Deployed | None:
    """The image ``group:app`` markers under ``path`` say at ``rev``; None when there is no such marker."""
    from gitops_promotion.manifests import markers_in_bytes, parse_image_ref  # noqa: PLC0415

    tag: str | None = None
    digest: str | None = None
    files: list[str] = []
    for name in repo.grep_files(rev, MARKER_TOKEN, [path]):
        data = repo.show(rev, name)
        if data is None:
            continue
        for marker in markers_in_bytes(data, Path(name)):
            if (marker.namespace, marker.name) != (group, app):
                continue
            files.append(name)
            if marker.field == "tag":
                tag = tag or marker.value
            elif marker.field == "digest":
                digest = digest or marker.value
            elif marker.field == "full":
                ref = parse_image_ref(marker.value)
                tag = tag or ref.tag
                digest = digest or ref.digest
    if not files:
        return None
    return Deployed(tag=tag, digest=digest, files=tuple(sorted(set(files))))
