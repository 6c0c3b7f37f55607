"""Find feature copies in git (without a checkout) and remove them with their kustomization entries.

A directory is a feature copy when its kustomization carries the feature label (ours, and the Go tool's
``commonLabels``, use the same key): the label gives the feature name, so ``<app>-<feature>`` splits exactly,
whatever ``-`` the app or the feature contain, and a real app ``web-admin`` beside ``web`` is never mistaken
for ``web``'s feature ``admin`` (its kustomization has no feature label).
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from gitops_promotion.features import kustomization as kfile
from gitops_promotion.features.kustomize import KUSTOMIZATION_FILES, kustomization_file
from gitops_promotion.features.naming import FEATURE_LABEL, app_of_dir
from gitops_promotion.gitrepo import GitRepo


@dataclass(frozen=True)
class FeatureDir:
    group: str
    app: str
    feature: str
    path: str  # relative to the repository root, e.g. apps/dev/podinfo-my-feature
    last_commit: int  # seconds since the epoch (committer time) of the last commit touching it


def feature_label(data: bytes) -> str | None:
    """The feature label's value in a kustomization's ``labels[].pairs`` or ``commonLabels``, if any."""
    if FEATURE_LABEL.encode() not in data:
        return None
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        doc: Any = YAML(typ="safe", pure=True).load(data)
    except YAMLError:
        return None  # not ours to judge: a broken kustomization is no feature copy
    if not isinstance(doc, dict):
        return None
    maps = [doc.get("commonLabels")]
    maps += [entry.get("pairs") for entry in doc.get("labels") or [] if isinstance(entry, dict)]
    for labels in maps:
        if isinstance(labels, dict) and isinstance(labels.get(FEATURE_LABEL), str):
            return str(labels[FEATURE_LABEL])
    return None


def find_feature_dirs(repo: GitRepo, rev: str, env_path: str, group: str, apps: Sequence[str]) -> list[FeatureDir]:
    """Feature copies of ``group``'s configured ``apps`` directly under ``env_path`` at ``rev``."""
    # One `git grep` finds the candidates, so an env with hundreds of app directories costs one process.
    patterns = [f"{env_path}/*/{name}" for name in KUSTOMIZATION_FILES]
    files = repo.grep_files(rev, FEATURE_LABEL, patterns)
    found = []
    for file in sorted(files):
        path, _, file_name = file.rpartition("/")
        parent, _, name = path.rpartition("/")
        if parent != env_path or _preferred(files, path) != file_name:
            continue  # deeper than one level, or kustomize would read another kustomization file there
        data = repo.show(rev, file)
        feature = feature_label(data) if data is not None else None
        app = app_of_dir(name, feature, list(apps)) if feature else None
        if app is None or feature is None:
            continue
        entries = repo.log(rev, [path], max_count=1)
        found.append(FeatureDir(group, app, feature, path, entries[0].timestamp if entries else 0))
    return found


def _preferred(files: list[str], path: str) -> str:
    return next(name for name in KUSTOMIZATION_FILES if f"{path}/{name}" in files)


def remove_feature_dir(repo_root: Path, found: FeatureDir) -> list[Path]:
    """Delete the copy and its entries in the env kustomization; the paths that changed."""
    directory = repo_root / found.path
    changed = []
    if directory.is_dir():
        shutil.rmtree(directory)
        changed.append(directory)
    env_file = kustomization_file(directory.parent)
    if env_file is not None:
        name = directory.name
        data = env_file.read_bytes()
        rel = env_file.relative_to(repo_root).as_posix()
        new, _ = kfile.remove_entries(data, "resources", lambda e: kfile.normalize_entry(e) == name, rel)
        new, _ = kfile.remove_entries(
            new, "transformers", lambda e: kfile.normalize_entry(e).startswith(name + "/"), rel
        )
        if new != data:
            env_file.write_bytes(new)
            changed.append(env_file)
    return changed
