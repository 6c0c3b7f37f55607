"""Write a feature copy of an app beside the first environment: render, select, transform, write, verify.

Which containers are "the app's" is learnt, not guessed: the env is rendered once as it is and once with the
app's markers set to a probe tag; the images that carry the probe are the app's (whatever the marker layout:
a full image ref, a tag field, or a kustomization ``images:`` entry). After writing, the env is rendered again
and every copied app container must run the feature's image; an env-level ``images:`` entry re-tags the
copy too (kustomize applies it to everything below the env, DESIGN 8), so that case gets a patch run after it.
"""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from gitops_promotion.errors import ManifestError, UsageError
from gitops_promotion.features import kustomization as kfile
from gitops_promotion.features.kustomize import Resource, kustomization_file, render
from gitops_promotion.features.naming import FEATURE_LABEL, MAX_LABEL, feature_dir_name, suffixed
from gitops_promotion.features.resources import (
    ContainerRef,
    containers,
    feature_copies,
    images_by_ref,
    kind_of,
    make_copy,
    name_of,
    namespace_of,
    select,
    service_key,
)

PROBE_TAG = "gitops-promotion-feature-probe"
PATCH_FILE = "feature-images.yaml"


@dataclass(frozen=True)
class FeatureSpec:
    """What to copy: ``group/app`` from the env directory, as ``feature`` running ``tag``."""

    group: str
    app: str
    tag: str
    feature: str
    selector: dict[str, str]


@dataclass(frozen=True)
class Written:
    """The paths ``write_feature`` changed and whether the env's ``images:`` needed the extra patch."""

    paths: list[Path]
    files: list[str]  # the copies, by file name
    patched_images: bool
    drift: list[str]  # where the env's own transformers change the copy again, e.g. a doubled namePrefix


def write_feature(spec: FeatureSpec, env_dir: Path, *, repo_root: Path, command: Sequence[str]) -> Written:
    """Create or replace ``<env_dir>/<app>-<feature>/`` and list it in the env kustomization."""
    env_file = kustomization_file(env_dir)
    rel_env = env_dir.relative_to(repo_root).as_posix()
    if env_file is None:
        msg = f"{rel_env}/ has no kustomization.yaml; a feature copy is listed in it, so feature needs one"
        raise ManifestError(msg, file=rel_env)
    objects = render(env_dir, command, where=rel_env)
    chosen = select(objects, spec.selector)
    if not chosen:
        wanted = ",".join(f"{k}={v}" for k, v in spec.selector.items())
        msg = f"featureLabelSelector {wanted} of {spec.group}/{spec.app} selects nothing in {rel_env}"
        raise ManifestError(msg, file=rel_env)
    images = _app_images(spec, env_dir, chosen, repo_root=repo_root, command=command)
    directory = env_dir / feature_dir_name(spec.app, spec.feature)
    files, copies = _write_copies(spec, directory, chosen=chosen, images=images, rel_env=rel_env, command=command)
    dir_name = directory.name
    data = env_file.read_bytes()
    rel_file = env_file.relative_to(repo_root).as_posix()
    data = kfile.add_entry(data, "resources", dir_name, rel_file)
    data, _ = kfile.remove_entries(data, "transformers", lambda e: _inside(e, dir_name), rel_file)
    _write_if_changed(env_file, data)
    wrong, rendered = _wrong_images(spec, env_dir, images, repo_root=repo_root, command=command)
    if wrong:
        _write_patch(spec, directory, wrong)
        data = kfile.add_entry(data, "transformers", f"{dir_name}/{PATCH_FILE}", rel_file)
        _write_if_changed(env_file, data)
        still, rendered = _wrong_images(spec, env_dir, images, repo_root=repo_root, command=command)
        if still:
            ref, expected, actual = still[0]
            msg = (
                f"{rel_env}: with the feature copy written, {ref.kind}/{ref.name} container {ref.container} "
                f"renders as {actual}, not {expected}: a transformer of the env overrides the copy's image; "
                "set featureOverwrite: true for this app or move that override below the env"
            )
            raise ManifestError(msg, file=rel_env)
    return Written(paths=[directory, env_file], files=files, patched_images=bool(wrong), drift=_drift(copies, rendered))


def _rel(path: Path, repo_root: Path) -> str:
    return path.relative_to(repo_root).as_posix()


def _inside(entry: str, dir_name: str) -> bool:
    return kfile.normalize_entry(entry).startswith(dir_name + "/")


def _app_images(
    spec: FeatureSpec, env_dir: Path, chosen: list[Resource], *, repo_root: Path, command: Sequence[str]
) -> dict[tuple[str, str, str], str]:
    """The feature image of each app container among ``chosen``, keyed by ContainerRef.key."""
    from gitops_promotion.manifests import apply_edits, plan_edits
    from gitops_promotion.manifests.images import parse_image_ref, with_tag

    edits = plan_edits([env_dir], repo_root=repo_root, group=spec.group, app=spec.app, tag=PROBE_TAG, probe=True)
    apply_edits(edits)
    try:
        probed = images_by_ref(render(env_dir, command, where=_rel(env_dir, repo_root)))
    finally:
        for edit in edits:  # the probe never reaches a commit: put every byte back
            Path(edit.path).write_bytes(edit.before)
    found: dict[tuple[str, str, str], str] = {}
    for obj in chosen:
        for ref, _container in containers(obj):
            image = probed.get(ref.key)
            if image is not None and parse_image_ref(image).tag == PROBE_TAG:
                found[ref.key] = with_tag(image, spec.tag, None)
    if not found:
        rel = env_dir.relative_to(repo_root).as_posix()
        msg = (
            f"{rel}: no container of the objects featureLabelSelector selects runs the image that the "
            f"{spec.group}:{spec.app} markers set; check its labels and markers (an app deployed by a "
            "HelmRelease needs featureOverwrite: true)"
        )
        raise ManifestError(msg, file=rel)
    return found


def _write_copies(
    spec: FeatureSpec,
    directory: Path,
    *,
    chosen: list[Resource],
    images: dict[tuple[str, str, str], str],
    rel_env: str,
    command: Sequence[str],
) -> tuple[list[str], list[Resource]]:
    """Write the copies as kustomize renders them with the feature's name suffix and labels.

    The copies are renamed here, not by a nameSuffix in the committed kustomization: kustomize remembers the
    names a suffix replaced, and the env's build then points references to the *original* name (the app's
    own Ingress backend, a StatefulSet's serviceName) at the copy. Frozen names carry no such memory, while
    kustomize still renames every reference inside the copy (ConfigMaps, Secrets, Services...) on the way.
    """
    import tempfile

    services = [obj for obj in chosen if kind_of(obj) == "Service"]
    keys = {service_key(namespace_of(obj), name_of(obj)) for obj in services}
    for name in sorted({name_of(obj) for obj in services}):
        if len(suffixed(name, spec.feature)) > MAX_LABEL:
            msg = f"--feature {spec.feature!r}: Service {name}-{spec.feature} would exceed 63 characters"
            raise UsageError(msg)
    labels = {FEATURE_LABEL: spec.feature}
    for key, value in spec.selector.items():
        labels[key] = suffixed(value, spec.feature)
        if len(labels[key]) > MAX_LABEL:
            msg = f"--feature {spec.feature!r}: label {key}={labels[key]} would be longer than 63 characters"
            raise UsageError(msg)
    with tempfile.TemporaryDirectory(prefix="gitops-promotion-feature-") as scratch:
        names: list[str] = []
        for obj in chosen:
            mine = {ref.pointer: images[ref.key] for ref, _c in containers(obj) if ref.key in images}
            names.append(_file_name(obj, names))
            Path(scratch, names[-1]).write_text(_dump(make_copy(obj, spec.feature, mine, keys)), "utf-8")
        text = kfile.build_kustomization(feature=spec.feature, labels=labels, resources=names)
        Path(scratch, "kustomization.yaml").write_text(text, encoding="utf-8")
        copies = render(Path(scratch), command, where=f"{rel_env}/{directory.name} (the copy)")
    if directory.exists():
        shutil.rmtree(directory)  # replaced whole: objects no longer selected must go too
    directory.mkdir(parents=True)
    names = []
    for obj in copies:
        names.append(_file_name(obj, names))
        (directory / names[-1]).write_text(_dump(obj), encoding="utf-8")
    title = f'feature "{spec.feature}" of {spec.group}/{spec.app} ({rel_env}, tag {spec.tag})'
    text = kfile.generated_kustomization(feature=spec.feature, title=title, resources=names)
    (directory / "kustomization.yaml").write_text(text, encoding="utf-8")
    return names, copies


def _file_name(obj: Resource, taken: list[str]) -> str:
    name = f"{kind_of(obj).lower()}-{name_of(obj)}.yaml"
    if name in taken:  # same kind and name in two namespaces
        namespace = (obj.get("metadata") or {}).get("namespace", "")
        name = f"{kind_of(obj).lower()}-{namespace}-{name_of(obj)}.yaml"
    return name


def _dump(obj: Resource) -> str:
    import io

    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.width = 4096  # never fold a long value onto a second line
    out = io.StringIO()
    yaml.dump(obj, out)
    return out.getvalue()


def _wrong_images(
    spec: FeatureSpec,
    env_dir: Path,
    images: dict[tuple[str, str, str], str],
    *,
    repo_root: Path,
    command: Sequence[str],
) -> tuple[list[tuple[ContainerRef, str, str]], list[Resource]]:
    """App containers of the rendered copy not running the feature image (ref in the render, want, got), and
    the copies as the env renders them."""
    rel = _rel(env_dir, repo_root)
    copies = feature_copies(render(env_dir, command, where=rel), spec.feature)
    wrong = []
    for (kind, name, pointer), expected in images.items():
        obj = _copy_of(copies, kind, suffixed(name, spec.feature))
        if obj is None:
            msg = f"{rel}: the env renders no copy of {kind}/{name}; does its kustomization list the copy?"
            raise ManifestError(msg, file=rel)
        for ref, container in containers(obj):
            if ref.pointer == pointer and container["image"] != expected:
                wrong.append((ref, expected, str(container["image"])))
    return wrong, copies


def _drift(written: list[Resource], rendered: list[Resource]) -> list[str]:
    """``Kind/name: field, ...`` for each copy the env's own transformers change again (shown, not fatal)."""
    notes = []
    for obj in written:
        got = _copy_of(rendered, kind_of(obj), name_of(obj))
        paths = _differences(obj, got) if got is not None else []
        if paths:
            more = f" and {len(paths) - 3} more" if len(paths) > 3 else ""
            notes.append(f"{kind_of(obj)}/{name_of(obj)}: {', '.join(paths[:3])}{more}")
    return notes


def _differences(a: object, b: object, path: str = "") -> list[str]:
    if isinstance(a, dict) and isinstance(b, dict):
        keys = sorted(set(a) | set(b), key=str)
        return [d for k in keys for d in _differences(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))]
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        return [d for i, (x, y) in enumerate(zip(a, b, strict=True)) for d in _differences(x, y, f"{path}[{i}]")]
    return [] if a == b else [path or "(the whole object)"]


def _copy_of(copies: list[Resource], kind: str, name: str) -> Resource | None:
    """The rendered copy: its own name, or that name inside an env-level name prefix or suffix."""
    candidates = [obj for obj in copies if kind_of(obj) == kind and name in name_of(obj)]
    exact = [obj for obj in candidates if name_of(obj) == name]
    found = exact or candidates
    return found[0] if found else None


def _write_patch(spec: FeatureSpec, directory: Path, wrong: list[tuple[ContainerRef, str, str]]) -> None:
    """A kustomize PatchTransformer per copied object: run after the env's ``images:``, it sets the tag."""
    by_object: dict[tuple[str, str], list[tuple[str, str]]] = {}
    for ref, expected, _actual in wrong:
        by_object.setdefault((ref.kind, ref.name), []).append((ref.pointer, expected))
    docs = []
    for (kind, name), ops in by_object.items():
        lines = [
            "apiVersion: builtin",
            "kind: PatchTransformer",
            "metadata:",
            f"  name: {kfile.scalar(f'{name}-image')}",
            "target:",
            f"  kind: {kind}",
            f"  name: {kfile.scalar(name)}",
            f"  labelSelector: {kfile.scalar(f'{FEATURE_LABEL}={spec.feature}')}",
            "patch: |-",
        ]
        for pointer, image in ops:
            lines += ["  - op: replace", f"    path: {pointer}", f"    value: {kfile.scalar(image)}"]
        docs.append("\n".join(lines) + "\n")
    header = (
        "# Generated by gitops-promotion: the env kustomization's images: entry would re-tag this copy\n"
        "# (kustomize applies it to every resource below the env), so this patch, listed in the env's\n"
        "# transformers:, sets the feature's image again after it.\n"
    )
    (directory / PATCH_FILE).write_text(header + "---\n".join(docs), encoding="utf-8")


def _write_if_changed(path: Path, data: bytes) -> None:
    if path.read_bytes() != data:
        path.write_bytes(data)
