"""GitHub's published API descriptions, fetched from npm at pinned versions into a gitignored cache.

`python -m tests.forge.specs` (run by .ci/run) fills the cache; tests call `ensure_specs()` too and fail,
never skip, when the files cannot be obtained: a fake forge that validates nothing would let any request pass.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path

CACHE_DIR = Path(os.environ.get("GITOPS_PROMOTION_SPEC_CACHE", Path(__file__).resolve().parents[2] / ".cache/specs"))


@dataclass(frozen=True)
class NpmFile:
    """One file inside a pinned npm package, checked by sha256 so a re-published tarball cannot slip in."""

    package: str
    version: str
    member: str
    sha256: str

    @property
    def target(self) -> Path:
        name = self.package.replace("@", "").replace("/", "-")
        return CACHE_DIR / f"{name}-{self.version}" / Path(self.member).name


OPENAPI = NpmFile(
    package="@octokit/openapi",
    version="23.0.2",
    member="package/generated/api.github.com.json",
    sha256="829b4bebb19a53133289f7b0bc819f4f1118115821db2ca9f25e9ee995a7da2a",
)
GRAPHQL = NpmFile(
    package="@octokit/graphql-schema",
    version="15.26.1",
    member="package/schema.json",
    sha256="bbdb03f4006f4e34964d67d55385f1c8c47c4cacd507ccdc38af2544247ecddd",
)


class SpecUnavailableError(RuntimeError):
    """The pinned spec could not be fetched or did not match its checksum."""


@dataclass(frozen=True)
class SpecPaths:
    openapi: Path
    graphql: Path


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _fetch(spec: NpmFile) -> Path:
    target = spec.target
    if target.is_file() and _sha256(target) == spec.sha256:
        return target
    npm = shutil.which("npm")
    if npm is None:
        msg = f"npm is not on PATH; it is needed to fetch {spec.package}@{spec.version} (apt-get install npm)"
        raise SpecUnavailableError(msg)
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=target.parent) as tmp:
        # `npm pack` downloads the tarball only (no install, no scripts run); we extract the one file we need.
        done = subprocess.run(
            [npm, "pack", f"{spec.package}@{spec.version}", "--pack-destination", tmp, "--silent"],
            capture_output=True,
            text=True,
            check=False,
        )
        tarballs = list(Path(tmp).glob("*.tgz"))
        if done.returncode != 0 or not tarballs:
            msg = f"npm pack {spec.package}@{spec.version} failed: {done.stderr.strip()[-300:]}"
            raise SpecUnavailableError(msg)
        with tarfile.open(tarballs[0]) as archive:
            member = archive.extractfile(spec.member)
            if member is None:
                msg = f"{spec.package}@{spec.version} has no {spec.member}"
                raise SpecUnavailableError(msg)
            partial = Path(tmp) / "partial"
            with partial.open("wb") as out:
                shutil.copyfileobj(member, out)
        if _sha256(partial) != spec.sha256:
            msg = f"{spec.package}@{spec.version} {spec.member}: checksum differs from the pinned one"
            raise SpecUnavailableError(msg)
        partial.replace(target)
    return target


def ensure_specs() -> SpecPaths:
    """Return the cached spec files, fetching the pinned npm packages first when they are missing."""
    return SpecPaths(openapi=_fetch(OPENAPI), graphql=_fetch(GRAPHQL))


if __name__ == "__main__":
    paths = ensure_specs()
    sys.stdout.write(f"{paths.openapi}\n{paths.graphql}\n")
