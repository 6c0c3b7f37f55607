"""Injection points for the reliability tests: a pre-receive hook that rejects, races or denies pushes, and
the providers built with a recorded sleep and optional hooks that stage races at an exact call.

The CLI picks adapters from ``gitops_promotion.providers.ADAPTERS`` (a dict of "module:function"); the tests
point its entries at ``FAST_ADAPTERS`` (monkeypatch.setitem), so the real CLI runs with the real adapters, only
their ``sleep`` injected (both adapters' ``build`` take it) and their calls optionally staged.
"""

from __future__ import annotations

import json
import stat
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

# -- pushes that fail on the server --------------------------------------------------------------------------
_HOOK = """\
#!{python}
# Installed by tests/reliability: rejects or races the next pushes to promote/* branches.
import fcntl, json, os, subprocess, sys
with open({state!r}, "r+") as handle:
    fcntl.flock(handle, fcntl.LOCK_EX)
    state = json.load(handle)
    updates = [line.split() for line in sys.stdin.read().splitlines() if line.strip()]
    ours = [u for u in updates if u[2].startswith("refs/heads/promote/")]
    action = state["queue"].pop(0) if ours and state["queue"] else None
    handle.seek(0); handle.truncate(); json.dump(state, handle)
if action == "deny":
    print("Permission to acme/gitops.git denied to gitops-bot.", file=sys.stderr)
    sys.exit(1)
if action == "reject":
    print("pre-receive: push declined by policy (injected)", file=sys.stderr)
    sys.exit(1)
if action == "race":
    # Another run wins the race: the ref moves between our fetch and our update, so the lease fails.
    ref = ours[0][2]
    main = subprocess.run(["git", "rev-parse", "refs/heads/main"], capture_output=True, text=True).stdout.strip()
    # Outside the push's object quarantine, like a separate push would be.
    env = {{k: v for k, v in os.environ.items()
           if k not in ("GIT_QUARANTINE_PATH", "GIT_OBJECT_DIRECTORY", "GIT_ALTERNATE_OBJECT_DIRECTORIES")}}
    subprocess.run(["git", "update-ref", ref, main], check=True, env=env)
"""


def install_push_hook(bare: Path) -> Path:
    """A pre-receive hook driven by a JSON queue of "reject" / "race" / "ok"; returns the queue file."""
    state = bare / "push-faults.json"
    state.write_text(json.dumps({"queue": []}))
    hook = bare / "hooks" / "pre-receive"
    hook.write_text(_HOOK.format(python=sys.executable, state=str(state)))
    hook.chmod(hook.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    return state


def queue_push_faults(state: Path, actions: list[str]) -> None:
    state.write_text(json.dumps({"queue": actions}))


# -- fast retries ------------------------------------------------------------------------------------------
SLEEPS: list[float] = []  # every wait the providers asked for, in the order asked


def _record_sleep(seconds: float) -> None:
    SLEEPS.append(seconds)


# Test code run inside a provider call, keyed by method name, to stage races at an exact point ("before this
# run's create_pr reaches the forge, another run does X"). Each hook runs once.
PROVIDER_HOOKS: dict[str, Callable[[], object]] = {}


class _Staged:
    """A provider whose methods first run (and drop) the hook registered under their name."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._inner, name)
        hook = PROVIDER_HOOKS.get(name)
        if hook is None or not callable(attr):
            return attr

        def staged(*args: Any, **kwargs: Any) -> Any:
            if PROVIDER_HOOKS.pop(name, None) is not None:
                hook()
            return attr(*args, **kwargs)

        return staged


def github_fast(settings: Any) -> Any:
    """The real GitHub adapter with its sleep injected: retries and rate-limit waits are recorded, not slept."""
    from gitops_promotion.providers.github import build

    return _Staged(build(settings, sleep=_record_sleep))


def azure_fast(settings: Any) -> Any:
    """The real Azure DevOps adapter with its sleep injected."""
    from gitops_promotion.providers.azure_devops import build

    return _Staged(build(settings, sleep=_record_sleep))


FAST_ADAPTERS = {
    "github": "tests.reliability.injection:github_fast",
    "azdo": "tests.reliability.injection:azure_fast",
}
