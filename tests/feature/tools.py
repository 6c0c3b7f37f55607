"""The kustomize the feature tests render with: found on PATH, or the test fails (it is never skipped)."""

from __future__ import annotations

import shutil

import pytest


def ensure_kustomize() -> list[str]:
    """The render command (``kustomize build`` or ``kubectl kustomize``); fails the test when neither exists.

    These machines ship kubectl with kustomize v5 built in (DESIGN 8); Debian's kubernetes-client conflicts
    with it, so a missing tool is a broken machine to report, not a reason to skip.
    """
    for name, sub in (("kustomize", "build"), ("kubectl", "kustomize")):
        found = shutil.which(name)
        if found:
            return [found, sub]
    pytest.fail(
        "neither kustomize nor kubectl is on PATH: the feature tests need one (kubectl has kustomize built in)",
        pytrace=False,
    )
