"""`show` on a 200-app x 4-env repository with 400 merged promotions stays quick (one grep, one log per branch)."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from gitops_promotion.commands.show import show
from tests.release.bigrepo import big_repo
from tests.release.builders import context

ENVS = ("dev", "qa", "stage", "prod")
BUDGET_S = 8.0  # measured about 1 s here; the budget leaves room for slow CI machines


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return big_repo(tmp_path_factory.mktemp("big"), apps=200, envs=ENVS, promotions=400)


def test_show_200_apps_by_4_envs_is_quick(big: Path) -> None:
    ctx = context(big)
    calls: list[tuple[str, ...]] = []
    real, real_start = ctx.repo.git, ctx.repo.start

    def counting(*args: str, **kwargs: Any) -> str:
        calls.append(args)
        return real(*args, **kwargs)

    def counting_start(*args: str) -> Any:
        calls.append(args)
        return real_start(*args)

    ctx.repo.git = counting  # type: ignore[method-assign] # count the git processes show starts
    ctx.repo.start = counting_start  # type: ignore[method-assign] # and those it starts in the background
    started = time.perf_counter()
    result = show(ctx, output="json", offline=True)
    elapsed = time.perf_counter() - started
    apps = result.data["apps"]
    assert len(apps) == 200 and all(len(a["cells"]) == 4 for a in apps)
    app001 = next(a for a in apps if a["app"] == "app001")
    # promotions n = 1, 201 touch app001 (n % 200 == 1) in env ENVS[n % 4] = qa
    assert [c["image"]["tag"] for c in app001["cells"]] == ["1.0.0", "1.201.0", "1.0.0", "1.0.0"]
    assert app001["cells"][1]["arrived"]["pr"] == 201
    assert sum(len(a["history"]) for a in apps) == 200 * 4 + 400
    logs = [c for c in calls if c[0] == "log"]
    greps = [c for c in calls if c[0] == "grep"]
    assert len(logs) == 1 and len(greps) == 1  # the four environments share the default branch: one log
    print(f"show on 200 apps x 4 envs, 401 commits: {elapsed:.2f}s, {len(calls)} git calls")
    assert elapsed < BUDGET_S
