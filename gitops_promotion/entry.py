"""The console script and ``python -m``: `--version` without click, and no heap walk at interpreter exit.

`--version` answers before click is imported (click alone is most of the start-up; issue 17). After a command,
``gc.freeze()`` moves every live object out of the collector's reach, so the collection Python runs while
shutting down has nothing to walk (about 50 ms on a big `show`); the process ends right after, so nothing leaks.
"""

from __future__ import annotations

import sys

PROG = "gitops-promotion"


def main() -> int:
    """Run the CLI on ``sys.argv`` and return its exit code."""
    if sys.argv[1:] == ["--version"]:
        from gitops_promotion import __version__

        sys.stdout.write(f"{PROG}, version {__version__}\n")  # click's version_option wording
        return 0
    import gc

    from gitops_promotion.cli import main as cli_main

    code = cli_main()
    gc.freeze()
    return code
