"""Where the scenario's environments live: directories on main, branches of their own, or a mix of both.

A Layout turns the demo repository (tests/conftest.py `example_repo`: apps/{dev,qa,prod}/podinfo.yaml on main)
into its shape, and answers the questions a scenario step asks: which branch an environment lives on (so which
branch CI syncs and Flux reads after a merge there), where podinfo.yaml is on it, and what the head branch of a
promotion into it is called.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ENVS = ("dev", "qa", "prod")
DEFAULT = "main"
CONFIG = "gitops-promotion.yaml"
OWN_FILE = "cluster.txt"
Git = Callable[..., str]


@dataclass(frozen=True)
class Layout:
    """``branches`` maps each environment that lives on a branch of its own to that branch (at path ``apps/``)."""

    name: str
    branches: dict[str, str] = field(default_factory=dict)

    @property
    def per_env(self) -> bool:
        """With any environment on a branch, head branches are per environment whatever ``prflow`` says."""
        return bool(self.branches)

    def branch(self, env: str) -> str:
        """The branch ``env`` lives on: the one CI syncs and Flux reads after a merge into ``env``."""
        return self.branches.get(env, DEFAULT)

    def directory(self, env: str) -> str:
        """The directory of ``env``'s manifests, relative to the root of its branch."""
        return "apps" if env in self.branches else f"apps/{env}"

    def manifest(self, env: str) -> str:
        """podinfo.yaml of ``env``, relative to the root of its branch."""
        return f"{self.directory(env)}/podinfo.yaml"

    def head(self, env: str, *, per_env: bool) -> str:
        """The head branch of a promotion of apps/podinfo into ``env``."""
        return f"promote/{env}/apps-podinfo" if per_env or self.per_env else "promote/apps-podinfo"

    @property
    def config_branches(self) -> tuple[str, ...]:
        """Every branch a CI run may check out, so every branch that carries the promotion config."""
        return (DEFAULT, *dict.fromkeys(self.branches.values()))

    def apply(self, git: Git) -> None:
        """Reshape the checkout's main (and its origin) into this layout; leaves main checked out.

        Each environment gets a file of its own, cluster.txt naming it, that promotions must leave alone (the
        tool re-applies marker edits; it never merges one environment's branch into another)."""
        git("checkout", "--quiet", DEFAULT)
        root = Path(git("rev-parse", "--show-toplevel"))
        for env in ENVS:
            (root / "apps" / env / OWN_FILE).write_text(f"{env}\n", encoding="utf-8")
            git("add", f"apps/{env}/{OWN_FILE}")
        git("commit", "--quiet", "-m", "a file of its own in each environment")
        if not self.branches:
            git("push", "--quiet", "origin", DEFAULT)
            return
        config = self._config(git("show", f"HEAD:{CONFIG}") + "\n")
        start = git("rev-parse", "HEAD")
        for env, branch in self.branches.items():
            # The environment's own branch: its directory at apps/, the other environments' directories gone.
            git("checkout", "--quiet", "-B", branch, start)
            git("rm", "--quiet", "-r", *(f"apps/{other}" for other in ENVS if other != env))
            for name in git("ls-tree", "--name-only", "HEAD", f"apps/{env}/").split():
                git("mv", name, f"apps/{name.rsplit('/', 1)[-1]}")
            self._commit_config(git, config, f"{env} lives on branch {branch}")
        git("checkout", "--quiet", DEFAULT)
        git("rm", "--quiet", "-r", *(f"apps/{env}" for env in self.branches))
        self._commit_config(git, config, "environments on branches")
        git("push", "--quiet", "origin", *self.config_branches)

    def _config(self, text: str) -> str:
        for env, branch in self.branches.items():
            text = set_env_branch(text, env, branch)
        return text

    @staticmethod
    def _commit_config(git: Git, config: str, message: str) -> None:
        (Path(git("rev-parse", "--show-toplevel")) / CONFIG).write_text(config, encoding="utf-8")
        git("add", CONFIG)
        git("commit", "--quiet", "-m", message)


def set_env_branch(config: str, env: str, branch: str) -> str:
    """``config`` with environment ``env`` on ``branch`` (replacing the branch it had, if any)."""
    entry = re.search(rf"^  - name: {env}\n(?:    .*\n)*", config, re.MULTILINE)
    assert entry, f"no environment {env} in\n{config}"
    body = re.sub(r"^    branch: .*\n", "", entry.group(0), flags=re.MULTILINE)
    return config[: entry.start()] + body + f"    branch: {branch}\n" + config[entry.end() :]


LAYOUTS = {
    layout.name: layout
    for layout in (
        Layout("directory"),
        Layout("branches", {env: env for env in ENVS}),
        Layout("mixed", {"prod": "prod"}),
    )
}
