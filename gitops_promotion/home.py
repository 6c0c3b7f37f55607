"""Where the project lives: the one place naming its repository, image and package.

`init`'s default action reference, `doctor`'s advice and the Azure template's default package spec are built
from these; docs/, examples/ and the README are static, and tests/test_home.py checks they agree with them.
"""

from __future__ import annotations

from gitops_promotion import __version__

REPOSITORY = "gitops-promotion/gitops-promotion"  # GitHub OWNER/NAME: the action, the releases, the issues
PYPI_NAME = "gitops-promotion"
IMAGE = f"ghcr.io/{REPOSITORY}"
MAJOR = __version__.split(".", 1)[0]
# The release workflow moves the tag v<major> to each release, so this reference always exists; users who
# want the same bytes on every run pin the release's commit SHA instead (doctor advises it).
ACTION_REF = f"{REPOSITORY}@v{MAJOR}"
PACKAGE_SPEC = f"{PYPI_NAME}=={__version__}"
# Each GitHub release carries gitops-promotion-<version>-requirements.txt: the lock plus the package's own
# hashes, so a pipeline that installs from it gets the same bytes the release was tested with.
RELEASES = f"https://github.com/{REPOSITORY}/releases/download"


def release_lock_url(version: str = __version__) -> str:
    """Where the hash-pinned requirements of a release are published."""
    return f"{RELEASES}/v{version}/{PYPI_NAME}-{version}-requirements.txt"
