"""Links into docs/getting-started.md, so each failed `doctor` check points at the step that fixes it."""

from __future__ import annotations

from gitops_promotion.home import REPOSITORY

GUIDE_PATH = "docs/getting-started.md"
GUIDE_URL = f"https://github.com/{REPOSITORY}/blob/main/{GUIDE_PATH}"

# Section anchors (GitHub's heading slugs); tests check each one is a heading of the guide.
LAYOUT = "1-check-the-layout"
FLUX = "2-let-flux-report-commit-statuses"
CREDENTIALS = "3-a-token-that-can-push-and-trigger-workflows"
SETTINGS = "4-repository-settings"
INIT = "5-init-then-doctor"
APP_REPO = "6-the-application-repository"
FIRST = "7-a-first-promotion-by-hand"
TROUBLESHOOTING = "troubleshooting"

# doctor check name (or its start) -> section; the first matching prefix wins.
_BY_CHECK: tuple[tuple[str, str], ...] = (
    ("config valid", INIT),
    ("image markers found", LAYOUT),
    ("environment directories", LAYOUT),
    ("every app has a marker", LAYOUT),
    ("markers match their values", LAYOUT),
    ("environment branch", LAYOUT),
    ("CI pipelines run gitops-promotion", INIT),
    ("workflows pin the gitops-promotion action", INIT),
    ("the gitops-promotion action is pinned", INIT),
    ("a scheduled reconcile", INIT),
    ("promotions use a token", CREDENTIALS),
    ("token can push", CREDENTIALS),
    ("the token can push", CREDENTIALS),
    ("forge reachable", CREDENTIALS),
    ("forge settings", SETTINGS),
    ("auto-merge allowed", SETTINGS),
    ("branch protection", SETTINGS),
    ("a required policy", SETTINGS),
    ("flux", FLUX),
)


def section_for(check_name: str) -> str:
    """The guide's anchor for a check; Troubleshooting when no step covers it."""
    lowered = check_name.lower()
    for prefix, anchor in _BY_CHECK:
        if lowered.startswith(prefix.lower()):
            return anchor
    return TROUBLESHOOTING


def link(anchor: str) -> str:
    """The guide's URL at ``anchor``."""
    return f"{GUIDE_URL}#{anchor}"
