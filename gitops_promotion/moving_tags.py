"""Moving tags (``latest``, ``main``, ``stable`` ...) point at a different image tomorrow: promoting one says
nothing about what runs, so they are refused unless the repository opts in (issue 14)."""

from __future__ import annotations

from gitops_promotion.errors import UsageError

MOVING_TAGS = frozenset(
    {"latest", "main", "master", "stable", "edge", "dev", "develop", "development", "nightly", "head", "trunk"}
)
OPT_IN = "allow_moving_tags: true in gitops-promotion.yaml or --allow-moving-tag"


def refuse_moving_tag(tag: str, *, allowed: bool, flag: str = "--tag") -> None:
    """Raise a usage error naming ``flag`` when ``tag`` is a moving tag and nothing opted in."""
    if allowed or tag.lower() not in MOVING_TAGS:
        return
    msg = (
        f"{flag} {tag!r} is a moving tag: the image behind it changes without a promotion, so the PR could not "
        f"say what it deploys; promote an immutable tag (a version or commit sha), or opt in with {OPT_IN}"
    )
    raise UsageError(msg)
