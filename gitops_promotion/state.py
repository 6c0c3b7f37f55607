"""PromotionState: what a promotion PR carries (branch, title, body metadata). Pure; no I/O.

The metadata comment and branch names are byte-compatible with the Go tool (XenitAB/gitops-promotion) so a
repository can switch tools in the middle of a promotion (DESIGN 2).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import Literal, cast

from gitops_promotion.errors import PromotionError

PRType = Literal["promote", "feature", "release", "rollback", "stale"]
_TYPES = ("promote", "feature", "release", "rollback", "stale")
_OPEN = "<!-- metadata = "
_CLOSE = " -->"
# The Go tool writes exactly these keys in this order; extra keys follow and the Go parser ignores them.
_GO_KEYS = ("group", "app", "tag", "env", "sha", "feature", "type")
# The branches the tool pushes, by the kind of change (DESIGN 2); every reader of branch names uses these.
PROMOTE_PREFIX = "promote/"
FEATURE_PREFIX = "feature/"
REMOVE_PREFIX = "remove/"
TOOL_PREFIXES = (PROMOTE_PREFIX, FEATURE_PREFIX, "release/", "rollback/", REMOVE_PREFIX)
# Branches whose PRs move a tag into an environment (what `show` lists as pending).
DEPLOY_PREFIXES = (PROMOTE_PREFIX, "release/", "rollback/")
STALE_FEATURE_BRANCH = f"{REMOVE_PREFIX}stale-feature"


class StateError(PromotionError):
    """A PR body carries metadata that cannot be read."""


@dataclass(frozen=True)
class PromotionState:
    group: str
    app: str
    tag: str
    env: str
    sha: str = ""
    feature: str = ""
    type: PRType = "promote"
    digest: str = ""
    reason: str = ""
    requester: str = ""
    forced: bool = False
    extra: dict[str, str] = field(default_factory=dict, compare=False)

    # -- names -------------------------------------------------------------------------------------------
    def branch(self, *, per_env: bool = False) -> str:
        """The head branch: ``promote/[<env>/]<group>-<app>``, ``feature/...-<feature>``, ``release/<env>/...``."""
        name = f"{self.group}-{self.app}"
        if self.type == "stale":
            return STALE_FEATURE_BRANCH
        if self.type == "feature":
            prefix = f"{FEATURE_PREFIX}{self.env}/" if per_env else FEATURE_PREFIX
            return f"{prefix}{name}-{self.feature}"
        if self.type in ("release", "rollback"):
            return f"{self.type}/{self.env}/{name}"
        return f"{PROMOTE_PREFIX}{self.env}/{name}" if per_env else f"{PROMOTE_PREFIX}{name}"

    @property
    def title(self) -> str:
        if self.type == "feature":
            return f"Feature {self.feature}: {self.group}/{self.app} version {self.tag} to environment {self.env}"
        if self.type == "release":
            return f"Release {self.group}/{self.app} version {self.tag} to environment {self.env}"
        if self.type == "rollback":
            return f"Roll back {self.group}/{self.app} to version {self.tag} in environment {self.env}"
        if self.type == "stale":
            return "Remove stale feature environments"
        return f"Promote {self.group}/{self.app} version {self.tag} to environment {self.env}"

    def with_env(self, env: str, sha: str) -> PromotionState:
        """The state for the next hop: same image, new environment, source = the merge commit ``sha``."""
        return replace(self, env=env, sha=sha, type="promote", reason="", requester="", forced=False)

    # -- body --------------------------------------------------------------------------------------------
    def metadata(self) -> str:
        data: dict[str, object] = {key: getattr(self, key) for key in _GO_KEYS}
        for key in ("digest", "reason", "requester"):
            if getattr(self, key):
                data[key] = getattr(self, key)
        if self.forced:
            data["forced"] = True
        data.update(self.extra)
        return _OPEN + json.dumps(data, separators=(",", ":"), ensure_ascii=False) + _CLOSE

    def body(self, details: str = "") -> str:
        """Metadata comment, then a table for humans, then ``details`` (free text)."""
        rows = [
            ("Group", self.group),
            ("Application", self.app),
            ("Tag", f"`{self.tag}`"),
            ("Environment", self.env),
        ]
        if self.digest:
            rows.append(("Digest", f"`{self.digest}`"))
        if self.feature:
            rows.append(("Feature", self.feature))
        if self.sha:
            rows.append(("Source commit", f"`{self.sha}`"))
        if self.reason:
            rows.append(("Reason", _cell(self.reason)))
        if self.requester:
            rows.append(("Requested by", _cell(self.requester)))
        if self.forced:
            rows.append(("Forced", "yes (policy overridden with --force)"))
        table = "\n".join(f"| {k} | {v} |" for k, v in rows)
        text = f"{self.metadata()}\n\n| | |\n|---|---|\n{table}\n"
        if details:
            text += f"\n{details.rstrip()}\n"
        return text + "\n_Opened by gitops-promotion._\n"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def parse_state(body: str | None) -> PromotionState | None:
    """The state in a PR body (ours or the Go tool's); ``None`` when the body has no metadata comment."""
    if not body or _OPEN not in body:
        return None
    raw = body.split(_OPEN, 1)[1]
    if _CLOSE not in raw:
        msg = "pull request metadata comment is not closed (expected ' -->')"
        raise StateError(msg)
    raw = raw.split(_CLOSE, 1)[0]
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        msg = f"pull request metadata is not valid JSON: {exc.msg} at column {exc.colno}"
        raise StateError(msg) from None
    if not isinstance(data, dict):
        msg = "pull request metadata is not a JSON object"
        raise StateError(msg)
    missing = [key for key in ("group", "app", "tag", "env") if not isinstance(data.get(key), str)]
    if missing:
        msg = f"pull request metadata lacks {', '.join(missing)}"
        raise StateError(msg)
    pr_type = data.get("type") or "promote"  # the Go tool's first versions wrote no type
    if pr_type not in _TYPES:
        msg = f"pull request metadata has unknown type {pr_type!r}"
        raise StateError(msg)
    known = {*_GO_KEYS, "digest", "reason", "requester", "forced"}
    return PromotionState(
        group=data["group"],
        app=data["app"],
        tag=data["tag"],
        env=data["env"],
        sha=str(data.get("sha") or ""),
        feature=str(data.get("feature") or ""),
        type=cast(PRType, pr_type),
        digest=str(data.get("digest") or ""),
        reason=str(data.get("reason") or ""),
        requester=str(data.get("requester") or ""),
        forced=bool(data.get("forced", False)),
        extra={k: str(v) for k, v in data.items() if k not in known},
    )
