"""A large GitOps repository built in one `git fast-import`: apps x envs, with merge-commit promotions."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.release.builders import T0, deployment


def big_repo(root: Path, *, apps: int, envs: tuple[str, ...], promotions: int) -> Path:
    """A clone whose origin/main has ``apps`` apps in each env and ``promotions`` merged PRs (one file each)."""
    remote, work = root / "remote.git", root / "gitops"
    subprocess.run(["git", "init", "-q", "--bare", "--initial-branch=main", str(remote)], check=True)
    config = "environments:\n" + "".join(f"  - {{name: {e}, auto: true}}\n" for e in envs)
    stream: list[bytes] = []

    def blob(text: str) -> bytes:
        data = text.encode()
        return b"data %d\n%s\n" % (len(data), data)

    def commit(ref: str, mark: int, when: int, message: str, *, parents: list[int], files: dict[str, str]) -> None:
        stream.append(f"commit {ref}\nmark :{mark}\n".encode())
        stream.append(f"committer Bench <bench@example.invalid> {when} +0000\n".encode())
        stream.append(blob(message))
        for index, parent in enumerate(parents):
            stream.append(f"{'from' if index == 0 else 'merge'} :{parent}\n".encode())
        for path, text in files.items():
            stream.append(f"M 100644 inline {path}\n".encode())
            stream.append(blob(text))

    files = {"gitops-promotion.yaml": config}
    files.update(
        {f"apps/{e}/app{i:03d}.yaml": deployment("apps", f"app{i:03d}", "1.0.0") for e in envs for i in range(apps)}
    )
    commit("refs/heads/main", 1, T0, "Initial layout", parents=[], files=files)
    main_mark, mark = 1, 1
    for n in range(1, promotions + 1):
        env, app = envs[n % len(envs)], f"app{n % apps:03d}"
        tag = f"1.{n}.0"
        title = f"Promote apps/{app} version {tag} to environment {env}"
        change = {f"apps/{env}/{app}.yaml": deployment("apps", app, tag)}
        commit(f"refs/heads/topic{n}", mark + 1, T0 + n * 60 - 30, title, parents=[main_mark], files=change)
        commit(
            "refs/heads/main",
            mark + 2,
            T0 + n * 60,
            f"Merge pull request #{n} from acme/promote\n\n{title}",
            parents=[main_mark, mark + 1],
            files=change,
        )
        main_mark, mark = mark + 2, mark + 2
    subprocess.run(["git", "fast-import", "--quiet"], cwd=remote, input=b"".join(stream), check=True)
    for n in range(1, promotions + 1):
        subprocess.run(["git", "update-ref", "-d", f"refs/heads/topic{n}"], cwd=remote, check=True)
    subprocess.run(["git", "clone", "-q", str(remote), str(work)], check=True, capture_output=True)
    return work
