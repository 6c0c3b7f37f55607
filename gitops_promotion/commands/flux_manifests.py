"""`init --flux-manifests`: the Flux side of the set-up, a notification Provider and Alert per cluster that make
Flux post the commit statuses the gate reads (GitHub or Azure DevOps flavour).

Shapes follow notification-controller's v1beta3 API: a Provider of type ``github`` or ``azuredevops`` whose
``address`` is the repository URL and whose ``secretRef`` names a Secret with a ``token`` key; an Alert with
``eventSeverity: info`` (success statuses are info events) and the Kustomizations as ``eventSources``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath
from typing import Literal

from gitops_promotion.commands.flux_detect import FluxKustomization, find_kustomizations, reconcilers, yaml_documents
from gitops_promotion.errors import UsageError
from gitops_promotion.result import Result

FluxPlatform = Literal["github", "azure", "gitlab", "gitea"]
FILE_NAME = "gitops-promotion-statuses.yaml"
SECRET = "gitops-promotion-flux-token"  # noqa: S105 - the Secret's name, not a credential
# notification-controller Provider types that post commit statuses, by forge.
_PROVIDER_TYPE = {"github": "github", "azure": "azuredevops", "gitlab": "gitlab", "gitea": "gitea"}
_PLACEHOLDER_ADDRESS = {
    "github": "https://github.com/OWNER/REPOSITORY",
    "azure": "https://dev.azure.com/ORGANIZATION/PROJECT/_git/REPOSITORY",
    "gitlab": "https://gitlab.example/GROUP/PROJECT",
    "gitea": "https://gitea.example/OWNER/REPOSITORY",
}


def repository_address(platform: FluxPlatform, remote_url: str) -> str:
    """The HTTPS repository URL Flux's git Providers expect, from the checkout's remote (SSH or HTTPS)."""
    url = remote_url.strip().removesuffix(".git")
    ssh = re.match(r"^(?:ssh://)?git@([^:/]+)[:/](.+)$", url)
    if ssh:
        host, path = ssh.groups()
        if host == "ssh.dev.azure.com":  # git@ssh.dev.azure.com:v3/org/project/repo
            parts = path.removeprefix("v3/").split("/")
            if len(parts) == 3:
                return f"https://dev.azure.com/{parts[0]}/{parts[1]}/_git/{parts[2]}"
        return f"https://{host}/{path}"
    https = re.match(r"^https?://(?:[^@/]+@)?(.+)$", url)  # drop any user (and token) before the host
    if https:
        return f"https://{https.group(1)}"
    return _PLACEHOLDER_ADDRESS[platform]


def render(platform: FluxPlatform, address: str, namespace: str, sources: Iterable[FluxKustomization]) -> str:
    """Provider + Alert for one cluster; without known Kustomizations, every Kustomization of ``namespace``."""
    listed = sorted({(k.name, k.namespace or namespace) for k in sources})
    event_sources = [f"    - kind: Kustomization\n      name: {name}\n      namespace: {ns}\n" for name, ns in listed]
    if not event_sources:
        event_sources = ["    - kind: Kustomization\n      name: '*'\n"]
    return (
        "# Makes Flux post the commit statuses `gitops-promotion status` waits for (flux: in gitops-promotion.yaml).\n"
        f"# Create the token Secret first: kubectl -n {namespace} create secret generic {SECRET} "
        "--from-literal=token=<token with commit status write access>\n"
        "---\n"
        "apiVersion: notification.toolkit.fluxcd.io/v1beta3\n"
        "kind: Provider\n"
        "metadata:\n"
        "  name: gitops-promotion\n"
        f"  namespace: {namespace}\n"
        "spec:\n"
        f"  type: {_PROVIDER_TYPE[platform]}\n"
        f"  address: {address}\n"
        "  secretRef:\n"
        f"    name: {SECRET}\n"
        "---\n"
        "apiVersion: notification.toolkit.fluxcd.io/v1beta3\n"
        "kind: Alert\n"
        "metadata:\n"
        "  name: gitops-promotion\n"
        f"  namespace: {namespace}\n"
        "spec:\n"
        "  providerRef:\n"
        "    name: gitops-promotion\n"
        "  eventSeverity: info\n"
        "  eventSources:\n" + "".join(event_sources)
    )


def cluster_manifests(root: Path, platform: FluxPlatform, remote_url: str, env_dirs: Iterable[str]) -> dict[str, str]:
    """Repository file -> manifests, one file beside each cluster's Kustomizations that reconcile ``env_dirs``."""
    kustomizations = find_kustomizations(yaml_documents(root))
    by_cluster: dict[str, list[FluxKustomization]] = {}
    for directory in env_dirs:
        for found in reconcilers(kustomizations, directory):
            if found.path:  # a Kustomization of the whole repository (flux-system at ./) proves nothing specific
                by_cluster.setdefault(PurePosixPath(found.file).parent.as_posix(), []).append(found)
    address = repository_address(platform, remote_url)
    if not by_cluster:
        return {FILE_NAME: render(platform, address, "flux-system", [])}
    return {
        f"{cluster}/{FILE_NAME}".removeprefix("./"): render(
            platform, address, found[0].namespace or "flux-system", found
        )
        for cluster, found in sorted(by_cluster.items())
    }


def flux_manifests(
    root: Path,
    *,
    platform: FluxPlatform,
    remote_url: str,
    write: bool = False,
    force: bool = False,
) -> Result:
    """Print (or, with ``write``, add to each cluster's directory) the Provider and Alert manifests."""
    from gitops_promotion.commands.init import infer_layout

    layout = infer_layout(root)
    env_dirs = [f"{group}/{env}" for group in layout.groups for env in layout.envs]
    files = cluster_manifests(root, platform, remote_url, env_dirs)
    if not write:
        lines = [f"# --- {name}\n{text}" for name, text in files.items()]
        message = f"Flux Provider and Alert for {len(files)} cluster(s); write them with --flux-manifests write"
        return Result(outcome="done", message=message, lines=tuple(lines), data={"files": files})
    existing = [name for name in files if (root / name).exists()]
    if existing and not force:
        msg = f"{', '.join(existing)}: already there; nothing written (use --force to overwrite)"
        raise UsageError(msg, file=str(root / existing[0]))
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    lines = [f"wrote {name}" for name in files]
    lines.append(f"create the Secret {SECRET} (key: token) in each cluster, then commit: Flux applies the files")
    message = f"wrote Flux Provider and Alert for {len(files)} cluster(s)"
    return Result(outcome="changed", message=message, lines=tuple(lines), data={"files": list(files)})
