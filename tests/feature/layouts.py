"""GitOps repositories for the feature tests: every resource kind a feature copy transforms, two marker layouts."""

from __future__ import annotations

from pathlib import Path

from tests.conftest import git

CONFIG = """\
prflow: per-app
environments:
  - name: dev
    auto: true
  - name: qa
groups:
  apps:
    applications:
      podinfo:
        featureLabelSelector:
          app: podinfo
      web:
        featureOverwrite: true
      web-admin:
        featureLabelSelector:
          app: web-admin
"""

# The app itself: a Deployment whose marker is on the full image ref, with an init container and a sidecar.
DEPLOYMENT = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: podinfo
  labels:
    app: podinfo
spec:
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      initContainers:
        - name: migrate
          image: ghcr.io/stefanprodan/podinfo:6.4.0 # {"$imagepolicy": "apps:podinfo"}
      containers:
        - name: podinfo
          image: ghcr.io/stefanprodan/podinfo:6.4.0 # {"$imagepolicy": "apps:podinfo"}
          envFrom:
            - configMapRef:
                name: podinfo-config
        - name: proxy
          image: docker.io/envoyproxy/envoy:v1.30.0
"""

WORKLOADS = """\
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: podinfo-cache
  labels:
    app: podinfo
spec:
  serviceName: podinfo
  selector:
    matchLabels:
      app: podinfo
  template:
    metadata:
      labels:
        app: podinfo
    spec:
      initContainers:
        - name: warm
          image: ghcr.io/stefanprodan/podinfo:6.4.0 # {"$imagepolicy": "apps:podinfo"}
      containers:
        - name: cache
          image: redis:7.2
---
apiVersion: batch/v1
kind: CronJob
metadata:
  name: podinfo-report
  labels:
    app: podinfo
spec:
  schedule: "0 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: Never
          initContainers:
            - name: wait
              image: busybox:1.36
          containers:
            - name: report
              image: ghcr.io/stefanprodan/podinfo:6.4.0 # {"$imagepolicy": "apps:podinfo"}
"""

NETWORK = """\
apiVersion: v1
kind: ConfigMap
metadata:
  name: podinfo-config
  labels:
    app: podinfo
data:
  GREETING: hello
---
apiVersion: v1
kind: Service
metadata:
  name: podinfo
  labels:
    app: podinfo
spec:
  selector:
    app: podinfo
  ports:
    - port: 80
      targetPort: 9898
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: podinfo
  labels:
    app: podinfo
spec:
  tls:
    - hosts:
        - podinfo.example.com
      secretName: podinfo-tls
  rules:
    - host: podinfo.example.com
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: podinfo
                port:
                  number: 80
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata:
  name: podinfo
  labels:
    app: podinfo
spec:
  parentRefs:
    - name: gateway
      namespace: infra
  hostnames:
    - podinfo.example.com
    - "*.podinfo.example.com"
  rules:
    - matches:
        - path:
            type: PathPrefix
            value: /old
      filters:
        - type: RequestRedirect
          requestRedirect:
            hostname: podinfo.example.com
            path:
              type: ReplaceFullPath
              replaceFullPath: /
    - backendRefs:
        - name: podinfo
          port: 80
        - name: external
          kind: ServiceImport
          group: multicluster.x-k8s.io
          port: 80
      filters:
        - type: RequestMirror
          requestMirror:
            backendRef:
              name: podinfo
              port: 80
"""

# Other apps in the same env: `web` (overwrite mode) and `web-admin`, whose name starts with `web-`.
OTHERS = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels:
    app: web
spec:
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
        - name: web
          image: ghcr.io/example/web:1.0.0 # {"$imagepolicy": "apps:web"}
"""

WEB_ADMIN = """\
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web-admin
  labels:
    app: web-admin
spec:
  selector:
    matchLabels:
      app: web-admin
  template:
    metadata:
      labels:
        app: web-admin
    spec:
      containers:
        - name: admin
          image: ghcr.io/example/web-admin:2.0.0 # {"$imagepolicy": "apps:web-admin"}
"""

WEB_ADMIN_KUSTOMIZATION = """\
resources:
  - deployment.yaml
"""

# The env kustomization: a comment, a quoted entry and CRLF-free text, kept byte for byte by the edit.
KUSTOMIZATION = """\
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
# The dev environment.
resources:
  - podinfo.yaml   # the app
  - "workloads.yaml"
  - network.yaml
  - others.yaml
  - web-admin
"""

# The env-level `images:` layout (DESIGN 8): the marker sits on newTag, the manifests carry no tag.
IMAGES_KUSTOMIZATION = """\
resources: [podinfo.yaml]
images:
  - name: ghcr.io/stefanprodan/podinfo
    newTag: 6.4.0 # {"$imagepolicy": "apps:podinfo:tag"}
"""

IMAGES_DEPLOYMENT = DEPLOYMENT.replace(':6.4.0 # {"$imagepolicy": "apps:podinfo"}', "")


def files(layout: str = "markers") -> dict[str, str]:
    """The repository's files for ``layout``: "markers" (full-ref markers) or "images" (env images:)."""
    out = {"gitops-promotion.yaml": CONFIG}
    for env in ("dev", "qa"):
        base = f"apps/{env}"
        if layout == "images":
            out |= {f"{base}/kustomization.yaml": IMAGES_KUSTOMIZATION, f"{base}/podinfo.yaml": IMAGES_DEPLOYMENT}
            continue
        out |= {
            f"{base}/kustomization.yaml": KUSTOMIZATION,
            f"{base}/podinfo.yaml": DEPLOYMENT,
            f"{base}/workloads.yaml": WORKLOADS,
            f"{base}/network.yaml": NETWORK,
            f"{base}/others.yaml": OTHERS,
            f"{base}/web-admin/deployment.yaml": WEB_ADMIN,
            f"{base}/web-admin/kustomization.yaml": WEB_ADMIN_KUSTOMIZATION,
        }
    return out


def write_files(root: Path, content: dict[str, str]) -> None:
    for name, text in content.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def make_repo(root: Path, layout: str = "markers") -> tuple[Path, Path]:
    """(bare remote, clone) holding ``layout`` on main, as the demo's generate_example does."""
    remote, work = root / "remote.git", root / "gitops"
    git(root, "init", "--quiet", "--bare", "--initial-branch=main", str(remote))
    git(root, "clone", "--quiet", str(remote), str(work))
    write_files(work, files(layout))
    git(work, "add", ".")
    git(work, "commit", "--quiet", "-m", "GitOps repository")
    git(work, "push", "--quiet", "origin", "HEAD:refs/heads/main")
    git(work, "remote", "set-head", "origin", "main")
    return remote, work
