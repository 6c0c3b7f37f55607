"""What `init` learns from the Flux objects in a repository: which Kustomization reconciles each environment's
directory (so the ``flux:`` block can name it), and which directories hold only Flux's own set-up (never groups).

Kustomization objects (apiVersion kustomize.toolkit.fluxcd.io/*) are read from every YAML file; ``spec.path`` is
taken relative to the repository, or, for a ``sourceRef`` of kind ExternalArtifact, mapped back through the
ArtifactGenerator's ``copy`` rules (flux2-kustomize-helm-example). Objects without a ``sourceRef`` are patches.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

_SKIPPED_DIRS = {".git", "node_modules"}
# Flux's own installation (flux bootstrap): its CRDs and controllers are not the user's workloads.
_FLUX_INSTALL = {"flux-system"}
_FLUX_API = re.compile(r"^[a-z.]+\.fluxcd\.io/")
_KUSTOMIZE_BUILD_API = "kustomize.config.k8s.io/"


@dataclass(frozen=True)
class FluxKustomization:
    """A Flux Kustomization object and the repository directory it reconciles."""

    name: str
    namespace: str
    file: str  # where it is defined, relative to the repository
    path: str  # the directory it applies, relative to the repository ("" for the root)

    def covers(self, directory: str) -> bool:
        return not self.path or directory == self.path or directory.startswith(self.path + "/")


def yaml_documents(root: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """(relative file, document) for every mapping document of every YAML file below ``root``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    yaml = YAML(typ="safe")
    for path in sorted(_yaml_files(root)):
        try:
            documents = list(yaml.load_all(path.read_text(encoding="utf-8")))
        except (YAMLError, UnicodeDecodeError, OSError):
            continue  # not ours to judge here: doctor and kustomize report broken files
        rel = path.relative_to(root).as_posix()
        yield from ((rel, doc) for doc in documents if isinstance(doc, dict))


def _yaml_files(root: Path) -> Iterator[Path]:
    for entry in root.iterdir():
        if entry.is_dir() and not entry.is_symlink():
            if entry.name not in _SKIPPED_DIRS:
                yield from _yaml_files(entry)
        elif entry.suffix in (".yaml", ".yml") and entry.is_file():
            yield entry


def find_kustomizations(documents: Iterable[tuple[str, dict[str, Any]]]) -> list[FluxKustomization]:
    """The Flux Kustomizations defined in ``documents`` with the repository directory each reconciles."""
    docs = list(documents)
    generators = [doc for _, doc in docs if doc.get("kind") == "ArtifactGenerator"]
    found = []
    for file, doc in docs:
        if doc.get("kind") != "Kustomization" or not str(doc.get("apiVersion", "")).startswith(
            "kustomize.toolkit.fluxcd.io/"
        ):
            continue
        spec = _mapping(doc.get("spec"))
        source = spec.get("sourceRef") if isinstance(spec.get("sourceRef"), dict) else None
        if source is None:
            continue  # a patch of a Kustomization defined elsewhere
        path = _normal(str(spec.get("path") or ""))
        if source.get("kind") == "ExternalArtifact":
            mapped = _through_generators(generators, str(source.get("name", "")), path)
            if mapped is None:
                continue
            path = mapped
        meta = _mapping(doc.get("metadata"))
        found.append(FluxKustomization(str(meta.get("name", "")), str(meta.get("namespace", "")), file, path))
    return found


def _mapping(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _normal(path: str) -> str:
    parts = [p for p in PurePosixPath(path).parts if p not in (".", "/")]
    return "/".join(parts)


def _through_generators(generators: list[dict[str, Any]], artifact: str, path: str) -> str | None:
    """The repository directory behind ``path`` inside ArtifactGenerator artifact ``artifact``."""
    for generator in generators:
        spec = _mapping(generator.get("spec"))
        for item in spec.get("artifacts") or []:
            if not isinstance(item, dict) or item.get("name") != artifact:
                continue
            for rule in item.get("copy") or []:
                origin = _strip_glob(str(rule.get("from", "")).split("/", 1)[-1]) if isinstance(rule, dict) else ""
                target = _strip_glob(str(rule.get("to", "")).removeprefix("@artifact"))
                if path == target or path.startswith(target + "/") or not target:
                    rest = path[len(target) :].strip("/")
                    return "/".join(p for p in (origin, rest) if p)
    return None


def _strip_glob(pattern: str) -> str:
    return _normal(pattern.replace("**", "").replace("*", ""))


def reconcilers(kustomizations: list[FluxKustomization], directory: str) -> list[FluxKustomization]:
    """The Kustomizations that apply ``directory`` most specifically (one per cluster that reconciles it)."""
    covering = [k for k in kustomizations if k.covers(directory)]
    if not covering:
        return []
    deepest = max(len(k.path) for k in covering)
    return [k for k in covering if len(k.path) == deepest]


def flux_block(names_by_group: dict[str, set[str]]) -> str | None:
    """The ``flux:`` value that selects these Kustomization names (one env, per group), or None if unknown."""
    if not names_by_group or any(not names for names in names_by_group.values()):
        return None
    every = set().union(*names_by_group.values())
    if len(every) == 1:
        return f"{{name: {next(iter(every))}}}"
    if all(names == {group} for group, names in names_by_group.items()):
        return "{name: '{group}'}"
    # Several names (several clusters, or groups with their own Kustomizations): one regex over all of them.
    alternatives = "|".join(re.escape(name) for name in sorted(every))
    return f"{{context: 'kustomization/({alternatives})(/[0-9a-f]{{8}})?'}}"


def detect_flux_blocks(root: Path, groups: Iterable[str], envs: Iterable[str]) -> dict[str, tuple[str, list[str]]]:
    """env -> (``flux:`` value, the files defining the Kustomizations found) for ``<group>/<env>`` layouts."""
    kustomizations = find_kustomizations(yaml_documents(root))
    result: dict[str, tuple[str, list[str]]] = {}
    for env in envs:
        names: dict[str, set[str]] = {}
        files: list[str] = []
        for group in groups:
            found = reconcilers(kustomizations, f"{group}/{env}")
            names[group] = {k.name for k in found}
            files += [k.file for k in found]
        block = flux_block(names)
        if block is not None:
            result[env] = (block, sorted(set(files)))
    return result


def is_flux_only(directory: Path) -> bool:
    """Whether every YAML object below ``directory`` configures Flux (sources, Kustomizations, alerts, Flux's own
    installation) rather than deploying workloads. HelmReleases deploy workloads: their values carry images."""
    if any(part in _FLUX_INSTALL for part in directory.parts[-1:]):
        return True
    seen_flux = False
    for file, doc in yaml_documents(directory):
        api = str(doc.get("apiVersion", ""))
        if set(PurePosixPath(file).parts[:-1]) & _FLUX_INSTALL or api.startswith(_KUSTOMIZE_BUILD_API):
            continue
        if not _FLUX_API.match(api) or doc.get("kind") == "HelmRelease":
            return False
        seen_flux = True
    return seen_flux


def add_flux_blocks(config_text: str, blocks: dict[str, tuple[str, list[str]]]) -> str:
    """``config_text`` with ``flux: ...`` after each detected environment's ``- name: <env>`` line."""
    out = []
    for line in config_text.splitlines(keepends=True):
        out.append(line)
        found = re.match(r"^(\s*)- name: ([a-z0-9-]+)\s*$", line)
        if found and found.group(2) in blocks:
            value, files = blocks[found.group(2)]
            indent = found.group(1) + "  "
            out.append(f"{indent}flux: {value}  # Flux Kustomization in {', '.join(files)}\n")
    return "".join(out)
