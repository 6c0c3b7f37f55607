"""A real image registry (Debian's docker-registry, distribution v2) on 127.0.0.1, and images pushed to it
through its HTTP API: blobs uploaded, then a manifest put under a tag (what `docker push` does)."""

from __future__ import annotations

import hashlib
import json
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import requests

OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json"


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        port: int = sock.getsockname()[1]
        return port


def outward_address() -> str:
    """This machine's address on its default route (not loopback): what a name other than localhost reaches."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.connect(("198.51.100.1", 9))  # a UDP "connect" sends nothing; it only picks the outgoing address
        address: str = sock.getsockname()[0]
    if address.startswith("127."):
        msg = "this machine has no non-loopback IPv4 address; the https/insecure registry tests need one"
        raise RuntimeError(msg)
    return address


def write_config(directory: Path, port: int, auth: dict[str, object] | None = None, address: str = "127.0.0.1") -> Path:
    """A registry config: filesystem storage under ``directory``, listening on ``address``:``port``."""
    config: dict[str, object] = {
        "version": 0.1,
        "log": {"level": "warn", "accesslog": {"disabled": True}},
        "storage": {"filesystem": {"rootdirectory": str(directory / "storage")}, "delete": {"enabled": True}},
        "http": {"addr": f"{address}:{port}", "secret": "test-only-secret"},
    }
    if auth:
        config["auth"] = auth
    path = directory / "config.yml"
    path.write_text(json.dumps(config))  # YAML is a superset of JSON
    return path


@dataclass
class Registry:
    """A running registry process and how to push to it."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path
    address: str = "127.0.0.1"
    auth: tuple[str, str] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    token_for: Callable[[str], str] | None = None  # a push token per repository, for a token-auth registry

    @property
    def host(self) -> str:
        return f"{self.address}:{self.port}"

    @property
    def url(self) -> str:
        return f"http://{self.host}"

    def push_image(self, repository: str, tag: str, *, content: bytes = b"layer") -> str:
        """Push a one-layer OCI image as ``repository:tag``; return its manifest digest."""
        if self.token_for is not None:
            self.headers = {"Authorization": f"Bearer {self.token_for(repository)}"}
        layer = self._upload(repository, content)
        config = self._upload(repository, json.dumps({"architecture": "amd64", "os": "linux"}).encode())
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": OCI_MANIFEST,
                "config": {"mediaType": "application/vnd.oci.image.config.v1+json", **config},
                "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", **layer}],
            }
        ).encode()
        response = requests.put(
            f"{self.url}/v2/{repository}/manifests/{tag}",
            data=manifest,
            headers={"Content-Type": OCI_MANIFEST, **self.headers},
            auth=self.auth,
            timeout=30,
        )
        assert response.status_code == 201, f"manifest put: {response.status_code} {response.text}"
        digest = "sha256:" + hashlib.sha256(manifest).hexdigest()
        assert response.headers["Docker-Content-Digest"] == digest
        return digest

    def _upload(self, repository: str, data: bytes) -> dict[str, object]:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        start = requests.post(
            f"{self.url}/v2/{repository}/blobs/uploads/", headers=self.headers, auth=self.auth, timeout=30
        )
        assert start.status_code == 202, f"upload start: {start.status_code} {start.text}"
        location = start.headers["Location"]
        if location.startswith("/"):
            location = self.url + location
        done = requests.put(
            location,
            params={"digest": digest},
            data=data,
            headers={"Content-Type": "application/octet-stream", **self.headers},
            auth=self.auth,
            timeout=30,
        )
        assert done.status_code == 201, f"upload: {done.status_code} {done.text}"
        return {"digest": digest, "size": len(data)}

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)


def start_registry(
    binary: str, directory: Path, auth: dict[str, object] | None = None, address: str = "127.0.0.1"
) -> Registry:
    """Start ``binary serve`` on a free port of ``address`` (loopback by default); wait until its API answers."""
    directory.mkdir(parents=True, exist_ok=True)
    for _attempt in range(3):  # another process may take the free port between our probe and the bind
        port = free_port(address)
        config = write_config(directory, port, auth, address)
        log = directory / f"registry-{port}.log"
        with log.open("wb") as out:
            process = subprocess.Popen([binary, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT)
        registry = Registry(process=process, port=port, log=log, address=address)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and process.poll() is None:
            try:
                answer = requests.get(f"{registry.url}/v2/", timeout=2)
            except requests.ConnectionError:
                time.sleep(0.05)
                continue
            if answer.status_code in (200, 401):
                return registry
        registry.stop()
    msg = f"the registry did not start; its log:\n{log.read_text(errors='replace')[-2000:]}"
    raise RuntimeError(msg)
