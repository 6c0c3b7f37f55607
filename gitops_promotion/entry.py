"""The console script and ``python -m``: `--version` without click, and no heap walk at interpreter exit.

`--version` answers before click is imported (click alone is most of the start-up; issue 17). After a command,
``gc.freeze()`` moves every live object out of the collector's reach, so the collection Python runs while
shutting down has nothing to walk (about 50 ms on a big `show`); the process ends right after, so nothing leaks.
"""

from __future__ import annotations

import sys


def main() -> int:
    """Run the CLI on ``sys.argv`` and return its exit code."""
    if sys.argv[1:] == ["--version"]:
        from gitops_promotion import __version__
        from gitops_promotion.build_info import describe

        sys.stdout.write(describe(__version__) + "\n")  # the same line as the click option's (cli.__init__)
        return 0
    import gc

    from gitops_promotion.cli import main as cli_main

    code = cli_main()
    gc.freeze()
    return code
