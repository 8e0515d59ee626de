"""Ollama's ed25519 identity key (`~/.ollama/id_ed25519`) and the signatures made with it
(Ollama's auth/auth.go, Sign).

The key is an OpenSSH private key file (what Go's `ssh.MarshalPrivateKey` writes) with its
`.pub` beside it in `authorized_keys` form. It is made at first use, as Ollama does. A signature
header is `<base64 SSH wire public key>:<base64 raw 64-byte ed25519 signature>`.

Needs the `cryptography` package; `auth.py` imports this module only when it signs.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import os
import struct
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from pollama.errors import PollamaError

log = logging.getLogger(__name__)

KEY_FILE = "id_ed25519"
KEY_TYPE = b"ssh-ed25519"
# base64(hex(sha256(""))): the body-hash field of a token request's signed text (no body).
EMPTY_BODY_HASH = base64.b64encode(hashlib.sha256(b"").hexdigest().encode()).decode()


def _ssh_string(data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + data


def ssh_public_key_blob(raw_public_key: bytes) -> bytes:
    """The SSH wire form of an ed25519 public key: string "ssh-ed25519", string key."""
    return _ssh_string(KEY_TYPE) + _ssh_string(raw_public_key)


class IdentityKey:
    """An ed25519 key that signs registry token requests."""

    def __init__(self, private_key: ed25519.Ed25519PrivateKey) -> None:
        self._key = private_key

    @classmethod
    def from_seed(cls, seed: bytes) -> IdentityKey:
        return cls(ed25519.Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def load_or_create(cls, path: Path) -> IdentityKey:
        """Read the key at `path`, or make one there (and `<path>.pub`) when there is none."""
        if path.is_file():
            key = serialization.load_ssh_private_key(path.read_bytes(), password=None)
            if not isinstance(key, ed25519.Ed25519PrivateKey):
                raise PollamaError(f"{path} is not an ed25519 key")
            return cls(key)
        log.warning("Couldn't find '%s'. Generating new private key.", path)
        identity = cls(ed25519.Ed25519PrivateKey.generate())
        identity.save(path)
        log.warning("Your new public key is: \n\n%s\n", identity.authorized_key)
        return identity

    def save(self, path: Path) -> None:
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o755)
        _write_private(path, pem, 0o600)
        public = self.authorized_key.encode() + b"\n"
        _write_private(path.with_name(path.name + ".pub"), public, 0o644)

    @property
    def raw_public_key(self) -> bytes:
        return self._key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )

    @property
    def public_key_base64(self) -> str:
        """The second field of the `.pub` line."""
        return base64.b64encode(ssh_public_key_blob(self.raw_public_key)).decode()

    @property
    def authorized_key(self) -> str:
        return f"{KEY_TYPE.decode()} {self.public_key_base64}"

    def sign(self, data: bytes) -> bytes:
        return self._key.sign(data)

    def authorization(self, data: bytes) -> str:
        """`<public key>:<signature>`, what Ollama's `auth.Sign` returns."""
        return f"{self.public_key_base64}:{base64.b64encode(self.sign(data)).decode()}"

    def token_request_authorization(self, url: str, method: str = "GET") -> str:
        """The `Authorization` header of a token request for `url`: the signed text is
        `<method>,<url>,<EMPTY_BODY_HASH>` (Ollama's server/auth.go, getAuthorizationToken)."""
        return self.authorization(f"{method},{url},{EMPTY_BODY_HASH}".encode())


def _write_private(path: Path, data: bytes, mode: int) -> None:
    """Write through a temp file created with `mode`, so the key is never readable by others."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
