"""The application repository's side, and the line that starts a first promotion by hand.

The app workflow (GitHub) or pipeline (Azure) builds and pushes the image, then asks the GitOps repository to
promote it. Its tag scheme is the git release tag without a leading ``v`` (v1.2.3 -> 1.2.3), which passes the
semver ``allowed_tags`` `init` puts on the last environment; `check_tag_scheme` says so against the real config.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Literal

from gitops_promotion.errors import UsageError

if TYPE_CHECKING:
    from gitops_promotion.config import Config

Platform = Literal["github", "azure", "gitlab", "gitea"]

# template (package data) -> where it goes in the application repository; GitLab and Gitea app projects start
# from the examples (examples/workflows/gitlab/app-project.gitlab-ci.yml, the Gitea dispatch call).
APP_TARGETS: dict[Platform, tuple[str, str]] = {
    "github": ("github-app.yml", ".github/workflows/app-image-pushed.yml"),
    "azure": ("azure-app.yml", "azure-pipelines/app-pipeline.yml"),
}


def app_target(platform: Platform) -> tuple[str, str]:
    """(template, destination) of the app workflow; GitLab and Gitea start from the examples instead."""
    if platform not in APP_TARGETS:
        msg = (
            f"--app-repo: not written for {platform}; start from examples/workflows/{platform}/ "
            "(an app project that triggers the GitOps project)"
        )
        raise UsageError(msg)
    return APP_TARGETS[platform]


# What the app workflow sends for the git tag v1.2.3.
SAMPLE_TAG = "1.2.3"
# The GitOps repository's `new` workflow and pipeline, as `init` writes them.
NEW_WORKFLOW = "gitops-promotion-new.yml"
NEW_PIPELINE = "gitops-promotion-new"


def trigger_command(platform: Platform, *, group: str, app: str, tag: str = SAMPLE_TAG) -> str:
    """The exact command that queues the GitOps repository's `new` run by hand."""
    if platform == "github":
        return f"gh workflow run {NEW_WORKFLOW} -f group={group} -f app={app} -f tag={tag}"
    if platform == "gitlab":
        return (
            "glab ci run --variables "
            f"GITOPS_PROMOTION_GROUP:{group},GITOPS_PROMOTION_APP:{app},GITOPS_PROMOTION_TAG:{tag}"
        )
    if platform == "gitea":
        return (
            f"POST /api/v1/repos/OWNER/REPO/actions/workflows/{NEW_WORKFLOW}/dispatches "
            f'{{"ref": "main", "inputs": {{"group": "{group}", "app": "{app}", "tag": "{tag}"}}}}'
        )
    return f"az pipelines run --name {NEW_PIPELINE} --parameters group={group} app={app} tag={tag}"


def check_tag_scheme(config: Config) -> list[str]:
    """Warnings for each environment whose ``allowed_tags`` would refuse what the app workflow sends."""
    apps = [(group, app) for group, spec in config.groups.items() for app in spec.applications] or [("", "")]
    warnings = []
    for env in config.env_names:
        for group, app in apps:
            pattern = config.policy(env, group, app).allowed_tags
            if pattern is not None and not re.fullmatch(pattern, SAMPLE_TAG):
                where = f"{group}/{app} in {env}" if app else env
                warnings.append(
                    f"warning: allowed_tags '{pattern}' for {where} refuses the app workflow's tags "
                    f"(git tag v{SAMPLE_TAG} sends {SAMPLE_TAG}); change the policy or the workflow's TAG"
                )
    return sorted(set(warnings))
