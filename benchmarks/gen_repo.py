"""Generate a synthetic GitOps repository: <group>/<env>/<app>/ directories of Kubernetes manifests.

A few percent of the files carry Flux image-policy markers (the rest are filler ConfigMaps, Services and
kustomizations), so a scan has to reject most files by their bytes. Used by bench_scan.py; also a CLI:

    python benchmarks/gen_repo.py /tmp/repo --files 20000 --groups 4 --envs 3 --apps 25 --git
"""

from __future__ import annotations

import argparse
import random
import subprocess
from pathlib import Path
from typing import Any

_DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {app}
  namespace: {group}-{env}
  labels:
    app.kubernetes.io/name: {app}
spec:
  replicas: {replicas}
  selector:
    matchLabels:
      app.kubernetes.io/name: {app}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {app}
    spec:
      containers:
        - name: {app}
          image: registry.example.test:5000/{group}/{app}:1.{minor}.0 # {{"$imagepolicy": "{group}:{app}"}}
          ports:
            - containerPort: 8080
              name: http
          resources:
            limits:
              cpu: 100m
              memory: 128Mi
"""

_KUSTOMIZATION_MARKED = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
namespace: {group}-{env}
resources:
  - deployment.yaml
  - service.yaml
images:
  - name: {app}
    newName: registry.example.test:5000/{group}/{app} # {{"$imagepolicy": "{group}:{app}:name"}}
    newTag: "1.{minor}.0" # {{"$imagepolicy": "{group}:{app}:tag"}}
"""

_FILLER = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: {app}-config-{n}
  namespace: {group}-{env}
  annotations:
    note: "generated filler, no image here"
data:
  LOG_LEVEL: info
  FEATURE_{n}: "true"
  payload: |
{payload}
"""


def _filler(group: str, env: str, app: str, n: int, rng: random.Random) -> str:
    lines = rng.randint(5, 40)
    payload = "\n".join(f"    line {i}: {rng.getrandbits(64):016x}" for i in range(lines))
    return _FILLER.format(group=group, env=env, app=app, n=n, payload=payload)


def generate(
    root: Path,
    *,
    groups: int = 4,
    envs: int = 3,
    apps: int = 25,
    files: int = 20_000,
    marker_ratio: float = 0.03,
    seed: int = 1,
) -> dict[str, Any]:
    """Write ``files`` manifests under ``root`` (``marker_ratio`` of them with markers); return a summary."""
    rng = random.Random(seed)
    group_names = [f"group{g}" for g in range(groups)]
    env_names = ["dev", "qa", "prod", "staging", "perf", "dr"][:envs] + [f"env{e}" for e in range(6, envs)]
    app_names = [f"app{a}" for a in range(apps)]
    dirs = [(g, e, a) for g in group_names for e in env_names for a in app_names]
    marked_target = max(1, round(files * marker_ratio))
    written = marked = total_bytes = 0
    # Marked files first (one or two per app directory, round-robin), then filler up to `files`.
    for i in range(min(marked_target, files)):
        g, e, a = dirs[i % len(dirs)]
        kind = i // len(dirs)
        name = ("deployment.yaml", "kustomization.yaml")[kind] if kind < 2 else f"deploy-{kind}.yaml"
        template = _KUSTOMIZATION_MARKED if name == "kustomization.yaml" else _DEPLOYMENT
        text = template.format(group=g, env=e, app=a, minor=rng.randint(0, 9), replicas=rng.randint(1, 5))
        total_bytes += _write(root / g / e / a / name, text)
        written += 1
        marked += 1
    n = 0
    while written < files:
        g, e, a = dirs[n % len(dirs)]
        ext = "yaml" if n % 10 else "yml"
        total_bytes += _write(root / g / e / a / f"config-{n}.{ext}", _filler(g, e, a, n, rng))
        written += 1
        n += 1
    return {
        "root": str(root),
        "files": written,
        "marker_files": marked,
        "bytes": total_bytes,
        "groups": group_names,
        "envs": env_names,
        "apps": app_names,
    }


def _write(path: Path, text: str) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    data = text.encode()
    path.write_bytes(data)
    return len(data)


def git_commit(root: Path) -> None:
    """Make ``root`` a git repository with everything committed (git grep searches tracked files)."""
    env_args = ["-c", "user.name=bench", "-c", "user.email=bench@example.test", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", "-b", "main", str(root)], check=True)
    subprocess.run(["git", "-C", str(root), "add", "-A"], check=True)
    subprocess.run(["git", "-C", str(root), *env_args, "commit", "-q", "-m", "generated"], check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("root", type=Path)
    parser.add_argument("--groups", type=int, default=4)
    parser.add_argument("--envs", type=int, default=3)
    parser.add_argument("--apps", type=int, default=25)
    parser.add_argument("--files", type=int, default=20_000)
    parser.add_argument("--marker-ratio", type=float, default=0.03)
    parser.add_argument("--git", action="store_true", help="git init and commit the tree")
    args = parser.parse_args(argv)
    summary = generate(
        args.root,
        groups=args.groups,
        envs=args.envs,
        apps=args.apps,
        files=args.files,
        marker_ratio=args.marker_ratio,
    )
    if args.git:
        git_commit(args.root)
    print(
        f"wrote {summary['files']} files ({summary['marker_files']} with markers, {summary['bytes']} bytes)"
        f" under {summary['root']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
