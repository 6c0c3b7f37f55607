"""A token service for the registry's token auth (distribution's "Token Authentication Specification"): it
checks basic credentials and answers a JWT signed by a key whose self-signed certificate the registry trusts."""

from __future__ import annotations

import base64
import datetime
import json
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlparse

SERVICE, ISSUER = "test-registry", "test-token-issuer"


@dataclass
class TokenService:
    """Signs tokens; ``requests`` records (user or "", scope) of every token request it answered."""

    key_pem: bytes
    cert_der: bytes
    users: dict[str, str]
    url: str = ""
    requests: list[tuple[str, str]] = field(default_factory=list)

    def mint(self, repository: str, actions: list[str]) -> str:
        """A token granting ``actions`` on ``repository``."""
        import jwt

        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": "tests",
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": secrets.token_hex(8),
            "access": [{"type": "repository", "name": repository, "actions": actions}] if repository else [],
        }
        headers = {"x5c": [base64.b64encode(self.cert_der).decode()]}
        return jwt.encode(claims, self.key_pem, algorithm="RS256", headers=headers)


def make_key_and_cert(directory: Path) -> tuple[bytes, bytes, Path]:
    """(private key PEM, certificate DER, path of the certificate PEM bundle the registry trusts)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, ISSUER)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    bundle = directory / "token-cert.pem"
    bundle.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return key_pem, cert.public_bytes(serialization.Encoding.DER), bundle


def _handler(service: TokenService) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            query = parse_qs(urlparse(self.path).query)
            scope = query.get("scope", [""])[0]
            user = self._user()
            if user is None:
                self._answer(401, {"errors": [{"code": "UNAUTHORIZED"}]})
                return
            service.requests.append((user, scope))
            # scope = repository:<name>:<actions>; anonymous users may pull only public/*
            _kind, _, rest = scope.partition(":")
            repository, _, _actions = rest.rpartition(":")
            allowed = ["pull"] if user or repository.startswith("public/") else []
            self._answer(200, {"token": service.mint(repository, allowed) if allowed else service.mint("", [])})

        def _user(self) -> str | None:
            header = self.headers.get("Authorization", "")
            if not header:
                return ""
            scheme, _, value = header.partition(" ")
            if scheme.lower() != "basic":
                return None
            user, _, password = base64.b64decode(value).decode().partition(":")
            return user if service.users.get(user) == password else None

        def _answer(self, status: int, body: dict[str, object]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: object) -> None:
            """Quiet: the test asserts on ``service.requests`` instead."""

    return Handler


@contextmanager
def running(service: TokenService) -> Iterator[TokenService]:
    """Serve ``service`` on a free loopback port (``service.url`` is its token endpoint) until the block ends."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(service))
    service.url = f"http://127.0.0.1:{server.server_address[1]}/token"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield service
    finally:
        server.shutdown()
        server.server_close()
