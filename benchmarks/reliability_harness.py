"""What the reliability benchmarks share with tests/reliability outside pytest: an isolated environment (HOME,
git identity, no CI variables), the providers' injected sleep, GitHub's schemas, and fake forges to run against.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gitops_promotion.providers import ADAPTERS  # noqa: E402
from tests.forge.github_schema import load_schemas  # noqa: E402
from tests.reliability import forges, injection  # noqa: E402
from tests.reliability.cli_runner import CliRunner  # noqa: E402

GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Bench",
    "GIT_AUTHOR_EMAIL": "bench@example.invalid",
    "GIT_COMMITTER_NAME": "Bench",
    "GIT_COMMITTER_EMAIL": "bench@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}
_CI_PREFIXES = ("GITHUB_", "GITOPS_PROMOTION_", "SYSTEM_", "BUILD_", "AZURE_DEVOPS")


@contextmanager
def bench_session() -> Iterator[tuple[Path, CliRunner, object]]:
    """(temporary directory, threaded CLI runner, GitHub schemas) with the environment isolated and restored."""
    saved_env, saved_adapters = dict(os.environ), dict(ADAPTERS)
    with tempfile.TemporaryDirectory(prefix="gitops-bench-") as name:
        tmp = Path(name)
        for key in [k for k in os.environ if k.startswith(_CI_PREFIXES) or k in ("TF_BUILD", "RUNNER_TEMP")]:
            del os.environ[key]
        os.environ.update(GIT_IDENTITY)
        os.environ["HOME"] = str(tmp / "home")
        ADAPTERS.update(injection.FAST_ADAPTERS)  # retries wait through a recorded sleep, not the clock
        try:
            with CliRunner() as cli:
                yield tmp, cli, load_schemas()
        finally:
            os.environ.clear()
            os.environ.update(saved_env)
            ADAPTERS.clear()
            ADAPTERS.update(saved_adapters)


def start_forge(kind: str, root: Path, apps: list[str], schemas: object) -> forges.Forge:
    """A fake forge over a seeded repository, with the CLI's environment pointed at it."""
    forge = forges.make_forge(kind, root, apps, forges.TOKEN, schemas)  # type: ignore[arg-type]
    os.environ.update(forge.environ())
    return forge
