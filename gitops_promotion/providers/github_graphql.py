"""Many commits' statuses in one GitHub GraphQL query (issue 17: `show` sent one REST request per open PR).

``Commit.status.contexts`` holds the newest status of each context, which is all the gate reads (DESIGN 3:
newest per context), so one query answers what a REST listing per commit did.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from gitops_promotion.providers.base import CommitStatus, StatusState

# GitHub's StatusState: EXPECTED and PENDING are not a verdict; ERROR fails like FAILURE (as in the REST path).
_STATES: dict[str, StatusState] = {"SUCCESS": "success", "FAILURE": "failure", "ERROR": "failure"}
_FIELDS = "... on Commit { status { contexts { context state createdAt description targetUrl } } }"
MAX_PER_QUERY = 100  # aliases per document; well under GitHub's node limits


def statuses_query(count: int) -> str:
    """The document that reads ``count`` commits (variables ``$c0``.. hold their ids) of one repository."""
    params = "".join(f", $c{i}: GitObjectID!" for i in range(count))
    objects = " ".join(f"c{i}: object(oid: $c{i}) {{ {_FIELDS} }}" for i in range(count))
    head = f"query GateStatuses($owner: String!, $name: String!{params})"
    return f"{head} {{ repository(owner: $owner, name: $name) {{ {objects} }} }}"


def variables(owner: str, name: str, shas: Sequence[str]) -> dict[str, Any]:
    return {"owner": owner, "name": name, **{f"c{i}": sha for i, sha in enumerate(shas)}}


def parse_statuses(data: dict[str, Any], shas: Sequence[str]) -> dict[str, list[CommitStatus]]:
    """sha -> its statuses, newest first; a commit GitHub does not know has none."""
    repository = data.get("repository") or {}
    found: dict[str, list[CommitStatus]] = {}
    for i, sha in enumerate(shas):
        commit = repository.get(f"c{i}") or {}
        contexts = (commit.get("status") or {}).get("contexts") or []
        statuses = [_status(item) for item in contexts]
        found[sha] = sorted(statuses, key=lambda s: s.created_at, reverse=True)
    return found


def _status(item: dict[str, Any]) -> CommitStatus:
    return CommitStatus(
        context=str(item.get("context") or ""),
        state=_STATES.get(str(item.get("state")), "pending"),
        created_at=datetime.fromisoformat(str(item["createdAt"]).replace("Z", "+00:00")),
        description=str(item.get("description") or ""),
        target_url=item.get("targetUrl"),
    )
