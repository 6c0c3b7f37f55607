"""Flux image-automation formats that several readers share: the marker token and which files are manifests.

Defined once here (DESIGN 3) and imported by the scan, the marker parser and the history readers, so the rules
cannot drift apart. Import-light on purpose: the history readers use it without loading YAML.
"""

from __future__ import annotations

MARKER_TOKEN = b'"$imagepolicy"'
MARKER_TEXT = MARKER_TOKEN.decode()
MANIFEST_SUFFIXES = (".yaml", ".yml")
KUSTOMIZATION_FILE = "Kustomization"


def is_manifest_name(name: str) -> bool:
    """Flux's rule: ``*.yaml``, ``*.yml`` and files named exactly ``Kustomization`` can hold markers."""
    return name.endswith(MANIFEST_SUFFIXES) or name == KUSTOMIZATION_FILE


def is_manifest_path(path: str) -> bool:
    """:func:`is_manifest_name` for a repository path with ``/`` separators (git's paths)."""
    return is_manifest_name(path.rpartition("/")[2])
