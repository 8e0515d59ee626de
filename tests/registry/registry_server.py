"""A real OCI registry for tests: Debian's `docker-registry` on a free loopback port, plain, behind
htpasswd Basic auth, or behind a token server written here; and a counting proxy in front.

Every process and server started here is stopped by the fixture that made it.
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from tests.conftest import free_port

REGISTRY_BINARY = shutil.which("docker-registry") or "/usr/bin/docker-registry"
USERNAME = "pollama"
PASSWORD = "s3cret-pass"
# `htpasswd -nbB -C 5 pollama s3cret-pass`, fixed so the tests need no bcrypt package.
HTPASSWD = "pollama:$2y$05$tdDGEq7oX.NYyOSjNKp.iuS7hUvagU5YG7X1w9ruhP1iP7h2iswNC\n"
SERVICE = "pollama-test-registry"
ISSUER = "pollama-test-issuer"


def require_registry() -> None:
    if not Path(REGISTRY_BINARY).exists():
        pytest.skip("docker-registry is not installed (apt-get install docker-registry)")


@dataclass
class RunningRegistry:
    url: str
    host: str  # host:port, as in model names
    storage: Path
    process: subprocess.Popen[bytes]
    log: Path

    def blob_data(self, digest: str) -> Path:
        hex_ = digest.removeprefix("sha256:")
        return self.storage / f"docker/registry/v2/blobs/sha256/{hex_[:2]}/{hex_}/data"


def _config(root: Path, port: int, auth: str) -> str:
    return (
        "version: 0.1\n"
        "log:\n  level: warn\n  accesslog:\n    disabled: true\n"
        f"storage:\n  filesystem:\n    rootdirectory: {root / 'storage'}\n"
        "  delete:\n    enabled: true\n"
        f"http:\n  addr: 127.0.0.1:{port}\n  secret: pollama-test-secret\n"
        f"{auth}"
    )


@contextmanager
def registry(root: Path, auth: str = "") -> Iterator[RunningRegistry]:
    """Run docker-registry with `auth` (a YAML `auth:` section, or none) until the block ends."""
    require_registry()
    root.mkdir(parents=True, exist_ok=True)
    port = free_port()
    config = root / "config.yml"
    config.write_text(_config(root, port, auth))
    log = root / "registry.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [REGISTRY_BINARY, "serve", str(config)], stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"docker-registry exited:\n{log.read_text()}")
            try:
                if httpx.get(f"{url}/v2/", timeout=1).status_code in (200, 401):
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"docker-registry did not start:\n{log.read_text()}")
            time.sleep(0.05)
        yield RunningRegistry(url, f"127.0.0.1:{port}", root / "storage", process, log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def htpasswd_auth(root: Path) -> str:
    root.mkdir(parents=True, exist_ok=True)
    (root / "htpasswd").write_text(HTPASSWD)
    return f"auth:\n  htpasswd:\n    realm: pollama-test\n    path: {root / 'htpasswd'}\n"


# --- token server ----------------------------------------------------------------------------


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _libtrust_key_id(der_public_key: bytes) -> str:
    """The key id docker-registry derives from a trusted certificate's public key."""
    import hashlib

    encoded = base64.b32encode(hashlib.sha256(der_public_key).digest()[:30]).decode().rstrip("=")
    return ":".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


@dataclass
class TokenServer:
    """Issues ES256 JWTs that docker-registry trusts; records every token request."""

    root: Path
    require_basic: bool = False
    requests: list[dict[str, Any]] = field(default_factory=list)

    def __post_init__(self) -> None:
        import datetime

        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        self._key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pollama test tokens")])
        now = datetime.datetime.now(datetime.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(self._key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .sign(self._key, hashes.SHA256())
        )
        self.root.mkdir(parents=True, exist_ok=True)
        self.cert_path = self.root / "token-cert.pem"
        self.cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        der = self._key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        self._kid = _libtrust_key_id(der)
        self.port = free_port()
        self.realm = f"http://127.0.0.1:{self.port}/token"

    def auth_config(self) -> str:
        return (
            "auth:\n  token:\n"
            f"    realm: {self.realm}\n    service: {SERVICE}\n    issuer: {ISSUER}\n"
            f"    rootcertbundle: {self.cert_path}\n"
        )

    def issue(self, scopes: list[str]) -> str:
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature

        access = []
        for scope in scopes:
            kind, name, actions = scope.split(":")
            access.append({"type": kind, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        header = {"typ": "JWT", "alg": "ES256", "kid": self._kid}
        claims = {
            "iss": ISSUER,
            "sub": USERNAME,
            "aud": SERVICE,
            "exp": now + 300,
            "nbf": now - 10,
            "iat": now,
            "jti": uuid.uuid4().hex,
            "access": access,
        }
        encoded = [_b64url(json.dumps(part).encode()) for part in (header, claims)]
        signing_input = ".".join(encoded)
        der = self._key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256()))
        r, s = decode_dss_signature(der)
        return f"{signing_input}.{_b64url(r.to_bytes(32, 'big') + s.to_bytes(32, 'big'))}"

    @contextmanager
    def running(self) -> Iterator[TokenServer]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                query = parse_qs(urlsplit(self.path).query)
                auth = self.headers.get("Authorization", "")
                server.requests.append({"query": query, "authorization": auth})
                expected = "Basic " + base64.b64encode(f"{USERNAME}:{PASSWORD}".encode()).decode()
                if server.require_basic and auth != expected:
                    self.send_response(401)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                body = json.dumps({"token": server.issue(query.get("scope", []))}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        with _serving(Handler, self.port):
            yield self


@contextmanager
def _serving(handler: type[BaseHTTPRequestHandler], port: int) -> Iterator[None]:
    httpd = ThreadingHTTPServer(("127.0.0.1", port), handler)
    httpd.daemon_threads = True
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


# --- counting proxy --------------------------------------------------------------------------


@dataclass
class CountingProxy:
    """A reverse proxy in front of a registry that counts the blob bytes it passes on (GETs of
    `/blobs/`), optionally slowed down so a test can interrupt a transfer."""

    upstream_port: int
    delay_per_chunk: float = 0.0
    chunk: int = 1 << 16
    blob_bytes: int = 0
    port: int = field(default_factory=free_port)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    @contextmanager
    def running(self) -> Iterator[CountingProxy]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _forward(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else None
                upstream = HTTPConnection("127.0.0.1", proxy.upstream_port, timeout=60)
                headers = dict(self.headers.items())  # Host kept: Locations name the proxy
                upstream.request(self.command, self.path, body=body, headers=headers)
                response = upstream.getresponse()
                self.send_response(response.status)
                for key, value in response.getheaders():
                    if key.lower() not in ("transfer-encoding", "connection"):
                        self.send_header(key, value)
                self.send_header("Connection", "close")
                self.end_headers()
                counted = self.command == "GET" and "/blobs/" in self.path
                try:
                    while block := response.read(proxy.chunk):
                        self.wfile.write(block)
                        if counted:
                            with proxy.lock:
                                proxy.blob_bytes += len(block)
                        if counted and proxy.delay_per_chunk:
                            time.sleep(proxy.delay_per_chunk)
                except (BrokenPipeError, ConnectionResetError):
                    pass
                finally:
                    upstream.close()
                    self.close_connection = True

            do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = _forward

        with _serving(Handler, self.port):
            yield self
