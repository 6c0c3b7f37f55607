"""`doctor`'s Flux check: what Flux really posted on the last commits of each environment's branch, whether the
environment's ``flux:`` selection matches it, and the ``flux:`` block that would (issue 12)."""

from __future__ import annotations

import dataclasses
import re
from collections import Counter
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

from gitops_promotion.errors import PromotionError
from gitops_promotion.flux_config import FLUX_KINDS
from gitops_promotion.gate import looks_like_flux, read_gate, selection_for
from gitops_promotion.providers.base import Check, CommitStatus

if TYPE_CHECKING:
    from gitops_promotion.config import Config
    from gitops_promotion.gitrepo import GitRepo
    from gitops_promotion.providers.base import Provider

RECENT_COMMITS = 5
_CONTEXT = re.compile(r"^(?P<kind>[a-z]+)/(?P<name>[^/]+)(?:/(?P<uid>[0-9a-f]{8}))?$")


def propose(contexts: Iterable[str]) -> str | None:
    """The ``flux:`` block selecting the most reported Flux object in ``contexts``, with every Provider seen."""
    contexts = list(contexts)
    parsed = [m for m in (_CONTEXT.match(c.lower()) for c in contexts) if m and m["kind"] in _FLUX_KINDS]
    if not parsed:
        # a Provider's commitStatusExpr context: match it whole, any Provider UID segment in it generalised
        if not contexts:
            return None
        pattern = re.sub(r"[0-9a-f]{8}", "[0-9a-f]{8}", re.escape(Counter(contexts).most_common(1)[0][0]))
        return f"{{context: '{pattern}'}}"
    (kind, name), _ = Counter((m["kind"], m["name"]) for m in parsed).most_common(1)[0]
    uids = sorted({m["uid"] for m in parsed if m["kind"] == kind and m["name"] == name and m["uid"]})
    fields = [] if kind == "kustomization" else [f"kind: {_KIND_NAMES.get(kind, kind)}"]
    fields.append(f"name: {name}")
    if len(uids) > 1:
        fields.append(f"providers: [{', '.join(uids)}]")  # keep only this environment's clusters
    return "{" + ", ".join(fields) + "}"


_KIND_NAMES = {kind.lower(): kind for kind in FLUX_KINDS}
_FLUX_KINDS = set(_KIND_NAMES)


def flux_status_checks(
    config: Config,
    repo: GitRepo,
    provider_factory: Callable[[], object],
    default_branch: str,
    groups: Iterable[str],
) -> list[Check]:
    """One check per environment: Flux statuses on its branch's last commits, matched by its ``flux:`` block."""
    try:
        provider: Provider = provider_factory()  # type: ignore[assignment] # doctor passes the forge's factory
    except PromotionError:
        return []  # the forge check already said why
    if not hasattr(provider, "commit_statuses"):
        return []
    checks = []
    last = config.environments[-1].name
    for env in config.environments:
        branch = env.branch or default_branch
        try:
            statuses = _recent_statuses(repo, provider, branch)
        except PromotionError as error:
            checks.append(Check(f"Flux statuses for {env.name}", False, error.message, blocking=False))
            continue
        check = _check(config, env.name, branch, sorted(groups) or ["<group>"], statuses)
        # the last environment's statuses gate no promotion: a mismatch there is worth a warning only
        checks.append(dataclasses.replace(check, blocking=check.blocking and env.name != last))
    return checks


def _recent_statuses(repo: GitRepo, provider: Provider, branch: str) -> list[list[CommitStatus]]:
    repo.fetch(branch)
    entries = repo.log(repo.remote_ref(branch), max_count=RECENT_COMMITS, first_parent=True)
    return [provider.commit_statuses(entry.sha) for entry in entries]


def _check(config: Config, env: str, branch: str, groups: list[str], per_commit: list[list[CommitStatus]]) -> Check:
    seen = sorted({s.context for statuses in per_commit for s in statuses if looks_like_flux(s)})
    name = f"Flux statuses for {env}"
    if not seen:
        detail = f"no Flux status on the last {len(per_commit)} commit(s) of {branch}"
        fix = "make Flux post commit statuses: gitops-promotion init --flux-manifests write (see README, Flux side)"
        return Check(name, False, detail, fix=fix, blocking=False)
    unmatched = [
        group
        for group in groups
        if all(read_gate(statuses, selection_for(config, group, env)).verdict == "none" for statuses in per_commit)
    ]
    detail = f"Flux posted {', '.join(seen)} on the last {len(per_commit)} commit(s) of {branch}"
    if not unmatched:
        return Check(name, True, detail)
    wanted = selection_for(config, unmatched[0], env).wanted
    proposal = propose(seen)
    fix = f"set environments[{env}].flux: {proposal}" if proposal else f"set environments[{env}].flux.context"
    return Check(name, False, f"{detail}; none matches {wanted}", fix=fix)
