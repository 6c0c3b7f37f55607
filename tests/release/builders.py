"""GitOps repositories with a known history for the release-management tests (real git, bare remotes)."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path

from gitops_promotion.cli.options import RepoArgs, build_context
from gitops_promotion.context import Context

T0 = 1_700_000_000  # commit times are fixed so arrival and lag are exact
HOUR = 3600

DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
spec:
  template:
    spec:
      containers:
        - name: {app}
          image: registry.example:5000/{group}/{app}:{tag} # {{"$imagepolicy": "{group}:{app}"}}
"""


def deployment(group: str, app: str, tag: str) -> str:
    return DEPLOYMENT.format(group=group, app=app, tag=tag)


@dataclass
class Repo:
    """A bare remote and a clone; ``commit`` writes files on a branch with a fixed time and message."""

    remote: Path
    work: Path
    clock: int = T0
    prs: int = 0
    home: str = "main"  # the branch checked out between changes, like a CI checkout of the default branch

    def git(self, *args: str, when: int | None = None, who: str = "Dev One") -> str:
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": who,
            "GIT_AUTHOR_EMAIL": "dev@example.invalid",
            "GIT_COMMITTER_NAME": who,
            "GIT_COMMITTER_EMAIL": "dev@example.invalid",
        }
        if when is not None:
            env["GIT_AUTHOR_DATE"] = env["GIT_COMMITTER_DATE"] = f"@{when} +0000"
        proc = subprocess.run(["git", *args], cwd=self.work, capture_output=True, text=True, env=env, check=False)
        if proc.returncode != 0:
            raise AssertionError(f"git {' '.join(args)}: {proc.stderr}")
        return proc.stdout.strip()

    def _write(self, files: dict[str, str | None]) -> None:
        for name, text in files.items():
            path = self.work / name
            if text is None:
                path.unlink()
                continue
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        self.git("add", "-A")

    def direct(self, branch: str, files: dict[str, str | None], message: str, *, at: int, who: str = "Dev One") -> str:
        """A commit pushed straight to ``branch``."""
        self.git("checkout", "-q", "-B", branch, f"origin/{branch}")
        self._write(files)
        self.git("commit", "-qm", message, when=at, who=who)
        self.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return self._home()

    def _home(self) -> str:
        sha = self.git("rev-parse", "HEAD")
        self.git("fetch", "-q", "origin")
        self.git("checkout", "-q", "-B", self.home, f"origin/{self.home}")
        return sha

    def merge_pr(
        self,
        branch: str,
        files: dict[str, str | None],
        title: str,
        *,
        at: int,
        merger: str = "Rel Manager",
        squash: bool = False,
    ) -> tuple[int, str]:
        """A PR merged into ``branch`` the way GitHub does it: a merge commit, or a squash "title (#n)"."""
        self.prs += 1
        number = self.prs
        if squash:
            return number, self.direct(branch, files, f"{title} (#{number})", at=at, who="PR Author")
        self.git("checkout", "-q", "-B", f"topic-{number}", f"origin/{branch}")
        self._write(files)
        self.git("commit", "-qm", title, when=at - 60, who="gitops-promotion")
        self.git("checkout", "-q", "-B", branch, f"origin/{branch}")
        self.git(
            "merge",
            "-q",
            "--no-ff",
            f"topic-{number}",
            "-m",
            f"Merge pull request #{number} from acme/topic-{number}\n\n{title}",
            when=at,
            who=merger,
        )
        self.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")
        return number, self._home()


def make_repo(root: Path, config: str, branches: dict[str, dict[str, str]], *, at: int = T0) -> Repo:
    """``branches``: branch -> files of its first commit; the first branch is the default (remote HEAD)."""
    remote, work = root / "remote.git", root / "gitops"
    default = next(iter(branches))
    subprocess.run(["git", "init", "-q", "--bare", f"--initial-branch={default}", str(remote)], check=True)
    subprocess.run(["git", "clone", "-q", str(remote), str(work)], check=True, capture_output=True)
    repo = Repo(remote, work, home=default)
    for index, (branch, content) in enumerate(branches.items()):
        if index == 0:
            repo.git("checkout", "-q", "-b", branch)
            repo._write({"gitops-promotion.yaml": config, **content})
        else:
            repo.git("checkout", "-q", "--orphan", branch)
            repo.git("rm", "-rqf", "--ignore-unmatch", ".")
            repo._write(dict(content))
        repo.git("commit", "-qm", f"Initial {branch}", when=at)
        repo.git("push", "-q", "origin", f"HEAD:refs/heads/{branch}")
    repo.git("checkout", "-q", default)
    repo.git("fetch", "-q", "origin")
    repo.git("remote", "set-head", "origin", default)
    return repo


def context(work: Path, provider: str = "local", environ: dict[str, str] | None = None) -> Context:
    """The context the CLI would build for ``work`` (local forge unless told otherwise)."""
    args = RepoArgs(
        sourcedir=work, config_path=None, git_name=None, git_email=None, output="text", verbose=False, provider=provider
    )
    ctx: Context = build_context(args, dict(environ or {}))
    return ctx
