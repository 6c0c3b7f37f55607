"""Render a kustomization with the kustomize on this machine (`kustomize build` or `kubectl kustomize`)."""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from gitops_promotion.errors import ManifestError, UsageError

KUSTOMIZATION_FILES = ("kustomization.yaml", "kustomization.yml", "Kustomization")
RENDER_TIMEOUT_S = 120
_KLOG = re.compile(r'"command failed" err="(.*)"$')
Resource = dict[str, Any]  # one rendered object (a ruamel CommentedMap, key order kept)


def find_kustomize(which: Callable[[str], str | None] = shutil.which) -> list[str]:
    """The command that renders a directory: ``kustomize build`` first, else ``kubectl kustomize``."""
    found = which("kustomize")
    if found:
        return [found, "build"]
    found = which("kubectl")
    if found:
        return [found, "kustomize"]
    msg = (
        "feature needs kustomize to render the environment: install `kustomize` (v5) or `kubectl` "
        "(which has kustomize built in) and put it on PATH"
    )
    raise UsageError(msg)


def kustomization_file(directory: Path) -> Path | None:
    """The kustomization file of ``directory``, in kustomize's order of preference."""
    for name in KUSTOMIZATION_FILES:
        if (directory / name).is_file():
            return directory / name
    return None


def render(directory: Path, command: Sequence[str], *, where: str) -> list[Resource]:
    """The objects ``directory`` renders to, as Flux would build them (no load restrictions).

    ``where`` names the directory in error messages (its path in the repository).
    """
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    rel = where
    args = [*command, str(directory), "--load-restrictor=LoadRestrictionsNone"]
    try:
        done = subprocess.run(args, capture_output=True, text=True, check=False, timeout=RENDER_TIMEOUT_S)
    except (OSError, subprocess.TimeoutExpired) as exc:
        msg = f"{rel}: cannot run {Path(command[0]).name} {command[1]}: {exc}"
        raise ManifestError(msg, file=rel) from None
    if done.returncode != 0:
        reason = " ".join(done.stderr.split()) or f"exit code {done.returncode}"
        # kubectl wraps kustomize's message in a klog line: keep only the message.
        match = _KLOG.search(reason)
        reason = match.group(1).replace('\\"', '"') if match else reason
        msg = f"{rel}: {Path(command[0]).name} {command[1]} failed: {reason}"
        raise ManifestError(msg, file=rel)
    try:
        docs = list(YAML(typ="rt").load_all(done.stdout))
    except YAMLError as exc:
        msg = f"{rel}: the rendered output is not YAML: {exc}"
        raise ManifestError(msg, file=rel) from None
    return [doc for doc in docs if isinstance(doc, dict)]
