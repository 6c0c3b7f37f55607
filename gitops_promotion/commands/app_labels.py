"""The labels that select an application's objects, read from the workload its marker sits in.

`feature` copies the objects matching ``featureLabelSelector``; `init` proposes the labels of the workload
that holds the app's image marker so that `feature` works without editing the config first.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

_SEPARATOR = re.compile(r"^---", re.M)


def workload_labels(path: Path, line: int) -> dict[str, str]:
    """``metadata.labels`` (else ``spec.selector.matchLabels``) of the document holding ``line``; {} if none."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    text = path.read_text(encoding="utf-8", errors="replace")
    starts = [0, *(m.start() for m in _SEPARATOR.finditer(text))]
    offset = sum(len(row) for row in text.splitlines(keepends=True)[: line - 1])
    start = max(s for s in starts if s <= offset)
    end = min((s for s in starts if s > offset), default=len(text))
    try:
        doc: Any = YAML(typ="safe").load(text[start:end].removeprefix("---"))
    except YAMLError:
        return {}
    if not isinstance(doc, dict):
        return {}
    labels = (doc.get("metadata") or {}).get("labels") or ((doc.get("spec") or {}).get("selector") or {}).get(
        "matchLabels"
    )
    if not isinstance(labels, dict) or not labels:
        return {}
    return {str(k): str(v) for k, v in labels.items()}
