"""What runs where: the app x environment matrix at each env's branch head, with arrival, lag and history.

Everything comes from git objects of ``origin/<branch>`` (never a checkout): one `git grep` per branch finds
the marker files, one `git cat-file --batch` reads them, one `git log` per environment gives the history
(timeline.py). Open PRs and gates come from the forge when one is available (pending.py).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from gitops_promotion.context import Context
from gitops_promotion.errors import GitError, PromotionError
from gitops_promotion.flux import MARKER_TEXT, is_manifest_path
from gitops_promotion.history.logs import EnvLogs, named_groups
from gitops_promotion.history.timeline import (
    AppKey,
    BlobCache,
    Change,
    Image,
    combine,
    replay,
    under,
)

LagState = Literal["first", "in-sync", "behind", "differs", "missing", "n/a"]


@dataclass(frozen=True)
class EnvHead:
    name: str
    branch: str
    rev: str | None  # None: the branch was not found
    shallow: bool = False


@dataclass(frozen=True)
class Lag:
    """How far an env trails the previous one: versions the previous env ran since, and since when."""

    state: LagState
    versions: int | None = None
    since: int | None = None  # when the previous env got the first version this env lacks (epoch seconds)


@dataclass(frozen=True)
class Cell:
    env: str
    group: str
    app: str
    image: Image | None
    files: tuple[str, ...]
    arrived: Change | None
    lag: Lag


@dataclass(frozen=True)
class Pending:
    """An open promotion PR and, for promotions, the state of its gate (the previous env's Flux status)."""

    number: int
    url: str
    kind: str
    group: str
    app: str
    tag: str
    env: str
    head: str
    gate: Literal["open", "closed", "waiting", "n/a"]
    gate_detail: str = ""
    created_at: int | None = None


@dataclass
class Inventory:
    envs: list[EnvHead]
    apps: list[AppKey]
    cells: dict[tuple[str, str, str], Cell]  # (group, app, env)
    history: dict[AppKey, list[Change]]  # every change in every env, oldest first
    pending: list[Pending] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    generated_at: int = 0
    forge: str | None = None  # provider name when PRs were read
    deployed: list[AppKey] = field(default_factory=list)  # every app an env runs now, before the app filter

    def cell(self, key: AppKey, env: str) -> Cell:
        return self.cells[(key[0], key[1], env)]


def collect(
    ctx: Context,
    *,
    group: str | None = None,
    app: str | None = None,
    fetch: bool = True,
    clock: Callable[[], float] = time.time,
) -> Inventory:
    """Read the matrix and history for every env (optionally one group / app); no forge calls."""
    notes: list[str] = []
    envs = _heads(ctx, fetch=fetch, notes=notes)
    blobs = BlobCache(ctx.repo)
    read = _read_head_blobs(ctx, envs, group)
    # The logs run in git while the heads are parsed here (issue 17): they need the groups the parse finds.
    guess = named_groups(blob[1] for _rev, _envs, _names, contents in read for blob in contents if blob)
    env_logs = EnvLogs(
        ctx.repo,
        {env.name: env.rev for env in envs if env.rev is not None},
        lambda env, groups: [ctx.location(env, g).path for g in groups],
        guess | ({group} if group else set()),
    )
    heads = _parse_heads(ctx, envs, read, notes, blobs)
    groups = sorted({key[0] for per_env in heads.values() for key in per_env} | ({group} if group else set()))
    history: dict[AppKey, list[Change]] = {}
    per_env_changes: dict[str, dict[AppKey, list[Change]]] = {}
    logs = env_logs.result(groups)
    blobs.load({blob: path for entries in logs.values() for e in entries for path, blob in e.files if blob})
    for name, entries in logs.items():
        changes = replay(name, entries, blobs, _belongs(ctx, name))
        by_app: dict[AppKey, list[Change]] = {}
        for change in changes:
            if _wanted((change.group, change.app), group, app):
                by_app.setdefault((change.group, change.app), []).append(change)
                history.setdefault((change.group, change.app), []).append(change)
        per_env_changes[name] = by_app
    for changes in history.values():
        changes.sort(key=lambda c: (c.commit.timestamp, ctx.config.env_names.index(c.env)))
    apps = sorted({key for per_env in heads.values() for key in per_env if _wanted(key, group, app)})
    if group and app and (group, app) not in apps:
        notes.append(f"no environment deploys {group}/{app} (no marker {group}:{app} found)")
    cells = {}
    for key in apps:
        for env in envs:
            cell = _cell(ctx, key, env.name, heads=heads, changes=per_env_changes)
            cells[(key[0], key[1], env.name)] = cell
    if any(e.shallow for e in envs):
        notes.append(
            "the clone is shallow: arrival and lag only reach back to its oldest commit "
            "(fetch the full history, e.g. actions/checkout with fetch-depth: 0)"
        )
    return Inventory(
        envs=envs,
        apps=apps,
        cells=cells,
        history=history,
        notes=notes,
        generated_at=int(clock()),
        deployed=sorted({key for per_env in heads.values() for key in per_env}),
    )


def _wanted(key: AppKey, group: str | None, app: str | None) -> bool:
    return (group is None or key[0] == group) and (app is None or key[1] == app)


def _heads(ctx: Context, *, fetch: bool, notes: list[str]) -> list[EnvHead]:
    repo = ctx.repo
    branches = list(dict.fromkeys(ctx.location(e, "-").branch for e in ctx.config.env_names))
    if fetch:
        try:
            repo.fetch(*branches)
        except GitError as exc:
            notes.append(f"could not fetch ({exc}); showing the refs this clone already has")
    shallow = repo.git("rev-parse", "--is-shallow-repository", check=False) == "true"
    heads = []
    revs: dict[str, str | None] = {}  # environments sharing a branch share one look-up
    for env in ctx.config.env_names:
        branch = ctx.location(env, "-").branch
        if branch not in revs:
            revs[branch] = repo.rev(repo.remote_ref(branch)) or repo.rev(f"refs/heads/{branch}")
        rev = revs[branch]
        if rev is None:
            notes.append(f"environment {env}: branch {branch} not found")
        heads.append(EnvHead(env, branch, rev, shallow))
    return heads


def _belongs(ctx: Context, env: str) -> Callable[[str, str], bool]:
    paths: dict[str, str] = {}

    def belongs(path: str, group: str) -> bool:
        if group not in paths:
            paths[group] = ctx.location(env, group).path
        return under(path, paths[group])

    return belongs


HeadBlobs = list[tuple[str, list["EnvHead"], list[str], list[tuple[str, bytes] | None]]]


def _read_head_blobs(ctx: Context, envs: list[EnvHead], group: str | None) -> HeadBlobs:
    """(rev, its envs, marker files, their blobs) per branch head: one grep and one batch read per branch."""
    by_rev: dict[str, list[EnvHead]] = {}
    for env in envs:
        if env.rev is not None:
            by_rev.setdefault(env.rev, []).append(env)
    read: HeadBlobs = []
    for rev, on_rev in by_rev.items():
        specs = sorted({ctx.location(e.name, group).path or "." for e in on_rev}) if group else []
        names = [n for n in ctx.repo.grep_files(rev, MARKER_TEXT, specs) if is_manifest_path(n)]
        read.append((rev, on_rev, names, ctx.repo.read_objects_with_ids([f"{rev}:{n}" for n in names])))
    return read


def _parse_heads(
    ctx: Context, envs: list[EnvHead], read: HeadBlobs, notes: list[str], blobs: BlobCache
) -> dict[str, dict[AppKey, tuple[Image, tuple[str, ...]]]]:
    """env -> app -> (image, files) at each env's branch head.

    Each blob is parsed into ``blobs``, which the history reads next: a file at the head is parsed once.
    """
    result: dict[str, dict[AppKey, tuple[Image, tuple[str, ...]]]] = {e.name: {} for e in envs}
    for _rev, on_rev, names, contents in read:
        found: dict[str, dict[AppKey, list[tuple[str, Image]]]] = {e.name: {} for e in on_rev}
        belongs = {e.name: _belongs(ctx, e.name) for e in on_rev}
        for name, blob in zip(names, contents, strict=True):
            if blob is None:
                continue
            try:
                images = blobs.add(blob[0], blob[1], name)
            except PromotionError as exc:
                notes.append(f"{name} (branch {on_rev[0].branch}): markers not read: {exc}")
                continue
            for env in on_rev:
                for key, image in images.items():
                    if belongs[env.name](name, key[0]):
                        found[env.name].setdefault(key, []).append((name, image))
        for env_name, per_app in found.items():
            result[env_name] = {k: (combine(v), tuple(sorted(p for p, _ in v))) for k, v in per_app.items()}
    return result


def _cell(
    ctx: Context,
    key: AppKey,
    env: str,
    *,
    heads: dict[str, dict[AppKey, tuple[Image, tuple[str, ...]]]],
    changes: dict[str, dict[AppKey, list[Change]]],
) -> Cell:
    here = heads.get(env, {}).get(key)
    image, files = here if here else (None, ())
    mine = changes.get(env, {}).get(key, [])
    arrived = next((c for c in reversed(mine) if c.image == image), None) if image else None
    lag = _lag(ctx, key, env, image, heads=heads, changes=changes)
    return Cell(env, key[0], key[1], image, files, arrived, lag)


def _lag(
    ctx: Context,
    key: AppKey,
    env: str,
    image: Image | None,
    *,
    heads: dict[str, dict[AppKey, tuple[Image, tuple[str, ...]]]],
    changes: dict[str, dict[AppKey, list[Change]]],
) -> Lag:
    previous = ctx.config.previous_env(env)
    if previous is None:
        return Lag("first")
    if image is None:
        return Lag("missing")
    before = heads.get(previous.name, {}).get(key)
    if before is None:
        return Lag("n/a")
    if before[0].tag == image.tag:
        return Lag("in-sync", versions=0)
    theirs = [c for c in changes.get(previous.name, {}).get(key, []) if c.image is not None]
    last = max((i for i, c in enumerate(theirs) if c.image and c.image.tag == image.tag), default=None)
    if last is None:
        return Lag("differs")  # this env runs a tag the previous env never ran (a release, a hotfix)
    newer = theirs[last + 1 :]
    return Lag("behind", versions=len(newer), since=newer[0].commit.timestamp if newer else None)
