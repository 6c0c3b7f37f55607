"""Reading the hash-pinned lock files (requirements.txt, requirements/*.txt) that `make lock` writes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent
RUNTIME_LOCK = ROOT / "requirements.txt"
_HASH = re.compile(r"--hash=sha256:([0-9a-f]{64})")


@dataclass(frozen=True)
class Pin:
    name: str  # canonical (PEP 503)
    version: str
    marker: Marker | None
    hashes: tuple[str, ...]
    line: int
    exact: bool  # pinned with ==

    def applies(self) -> bool:
        """Whether this entry is installed on the interpreter running the tests."""
        return self.marker is None or self.marker.evaluate()


def parse_lock(path: Path) -> list[Pin]:
    """Each requirement of a requirements file, its continuation lines joined; options are refused."""
    pins: list[Pin] = []
    logical, start = "", 0
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line and not logical:
            continue
        if not logical:
            start = number
        if line.endswith("\\"):
            logical += line[:-1] + " "
            continue
        logical += line
        pins.append(_pin(path, logical.strip(), start))
        logical = ""
    return pins


def _pin(path: Path, text: str, line: int) -> Pin:
    if text.startswith("-"):
        raise ValueError(f"{path.name}:{line}: options ({text.split(maxsplit=1)[0]}) do not belong in a lock")
    spec = _HASH.sub("", text).strip()
    requirement = Requirement(spec)
    exact = [s for s in requirement.specifier if s.operator == "=="]
    return Pin(
        name=canonicalize_name(requirement.name),
        version=exact[0].version if len(exact) == 1 and len(requirement.specifier) == 1 else "",
        marker=requirement.marker,
        hashes=tuple(_HASH.findall(text)),
        line=line,
        exact=len(exact) == 1 and len(requirement.specifier) == 1 and not requirement.url,
    )


def lock_problems(dependencies: list[str], pins: list[Pin], lock_name: str) -> list[str]:
    """Why ``pins`` does not satisfy ``dependencies`` (PEP 508 strings), one line each; empty when it does."""
    problems = [
        f"{lock_name}:{pin.line}: {pin.name} is not pinned with == and --hash"
        for pin in pins
        if not (pin.exact and pin.hashes)
    ]
    by_name: dict[str, list[Pin]] = {}
    for pin in pins:
        by_name.setdefault(pin.name, []).append(pin)
    for text in dependencies:
        wanted = Requirement(text)
        found = by_name.get(canonicalize_name(wanted.name), [])
        if not found:
            problems.append(f"{wanted.name} ({text}) is not in {lock_name}")
            continue
        for pin in found:
            if not wanted.specifier.contains(pin.version, prereleases=True):
                problems.append(f"{lock_name}:{pin.line}: {pin.name}=={pin.version} does not satisfy {text}")
    return problems
