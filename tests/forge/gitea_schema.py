"""Gitea's published swagger (../shared/specs/gitea/v1_json.tmpl, go-gitea/gitea commit cccd5499, release/v1.23)
as the fake Gitea's request validator. The file is a Go template: its ``{{...}}`` directives (the version and the
AppSubUrl prefix of basePath) are removed before the JSON is parsed, leaving basePath ``/api/v1``."""

from __future__ import annotations

import functools
import json
import os
import re
from pathlib import Path

from tests.forge.swagger2 import Swagger2

SPEC = (
    Path(os.environ.get("GITOPS_PROMOTION_SHARED", Path(__file__).resolve().parents[3] / "shared"))
    / "specs/gitea/v1_json.tmpl"
)
SPEC_BYTES = 690_837
# Gitea's router maps GET /repos/{owner}/{repo}/pulls/{base}/* : the head branch may hold slashes.
WILDCARD_TAIL = ("/repos/{owner}/{repo}/pulls/{base}/{head}",)


@functools.cache
def load_gitea_schema() -> Swagger2:
    """The validator; fails (never skips) when the pinned swagger is missing or changed."""
    if not SPEC.is_file() or SPEC.stat().st_size != SPEC_BYTES:
        msg = f"Gitea's swagger (v1.23, {SPEC_BYTES} bytes) is missing or changed at {SPEC}"
        raise FileNotFoundError(msg)
    text = re.sub(r"\{\{[^}]*\}\}", "", SPEC.read_text(encoding="utf-8"))
    doc = json.loads(text)
    return Swagger2(doc, base_path=doc["basePath"], wildcard_tail=WILDCARD_TAIL)
