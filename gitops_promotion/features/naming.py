"""Feature names and the names derived from them: DNS-label sanitising, directory and label conventions."""

from __future__ import annotations

import re

from gitops_promotion.errors import UsageError

# The Go tool's label on every feature copy; kept so copies it made are recognised (and excluded) here too.
FEATURE_LABEL = "gitops-promotion.xenit.io/feature"
MAX_LABEL = 63  # a DNS label, and a Kubernetes label value, is at most 63 characters
_INVALID = re.compile(r"[^a-zA-Z0-9-]+")


def sanitize_feature(raw: str) -> str:
    """``raw`` as a DNS label: drop characters other than letters, digits and ``-``, lowercase, trim ``-``.

    Dropping (not replacing) characters is what the Go tool did, so both tools derive the same branch and
    directory from the same input; trimming the ends and the length are our additions (a DNS label must
    start and end with an alphanumeric and has at most 63 characters).
    """
    name = _INVALID.sub("", raw).lower()[:MAX_LABEL].strip("-")
    if not name:
        msg = f"--feature {raw!r} has no letters or digits; it must give a DNS label (a-z, 0-9, '-')"
        raise UsageError(msg)
    return name


def feature_dir_name(app: str, feature: str) -> str:
    """The directory (beside the env's kustomization) that holds ``app``'s copy for ``feature``."""
    return f"{app}-{feature}"


def suffixed(value: str, feature: str) -> str:
    return f"{value}-{feature}"


def prefixed_host(host: str, feature: str) -> str:
    """``<feature>.<host>``; a wildcard host keeps its ``*`` first (``*.a.b`` -> ``*.<feature>.a.b``)."""
    if host.startswith("*."):
        return f"*.{feature}.{host[2:]}"
    return f"{feature}.{host}"


def app_of_dir(dirname: str, feature: str, apps: list[str]) -> str | None:
    """The configured app whose feature directory for ``feature`` is ``dirname``, if any."""
    suffix = f"-{feature}"
    if not dirname.endswith(suffix):
        return None
    app = dirname[: -len(suffix)]
    return app if app in apps else None
