"""GitLab's published REST description (the Swagger 2.0 extract in ../shared/specs/gitlab, pinned to upstream
commit 0338625c; see its README) as the fake GitLab's request validator.

Gap: the extract has no ``GET /api/v4/version``, which the tool calls once to choose between ``auto_merge``
(GitLab 17.11 and later) and ``merge_when_pipeline_succeeds``. That one is checked against python-gitlab's own
definition instead: ``Gitlab.version()`` sends ``GET /version`` with no parameter and no body, so the fake
declares exactly that (``PYTHON_GITLAB_GAPS``). Every other request must match the extract.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from typing import Any

from ruamel.yaml import YAML

from tests.forge.swagger2 import Swagger2

SPEC = (
    Path(os.environ.get("GITOPS_PROMOTION_SHARED", Path(__file__).resolve().parents[3] / "shared"))
    / "specs/gitlab/openapi_v2.extract.yaml"
)
UPSTREAM_COMMIT = "0338625c4996c8b4dde44bd86d1767b654121ee7"
API_PREFIX = "/api/v4"
# Operations python-gitlab defines that the extract lacks (see the module docstring).
PYTHON_GITLAB_GAPS: dict[str, Any] = {
    "/api/v4/version": {"get": {"operationId": "python-gitlab Gitlab.version()", "parameters": []}},
}


@functools.cache
def load_gitlab_schema() -> Swagger2:
    """The validator; fails (never skips) when the pinned extract is missing."""
    if not SPEC.is_file():
        msg = f"GitLab's API description is missing at {SPEC}; the fake GitLab cannot validate without it"
        raise FileNotFoundError(msg)
    text = SPEC.read_text(encoding="utf-8")
    if UPSTREAM_COMMIT not in text:
        msg = f"{SPEC} is not the extract of upstream commit {UPSTREAM_COMMIT}"
        raise ValueError(msg)
    doc = YAML(typ="safe").load(text)
    doc["paths"] = {**doc["paths"], **PYTHON_GITLAB_GAPS}
    return Swagger2(doc)
