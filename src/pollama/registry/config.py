"""Per-registry settings: credentials, plain-HTTP permission, CA bundle (see docs/registries.md).

Read at each pull or push (so edits apply without a restart) from, in order of precedence:
1. `$POLLAMA_REGISTRIES_CONFIG` or `<OLLAMA home>/registries.json`:
   `{"registries": {"<host[:port]>": {"username", "password" | "auth" | "token", "insecure"}},
     "ca_bundle": "<pem file>"}`
2. Docker's `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`): `auths` entries with
   `auth` (base64 `user:password`) or `username`/`password`.
`$POLLAMA_CA_BUNDLE` names a PEM file of extra trusted CAs (added to the default ones);
`SSL_CERT_FILE`/`SSL_CERT_DIR` replace the default ones, and `HTTPS_PROXY`/`HTTP_PROXY`/
`NO_PROXY` choose a proxy, as for every httpx client.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pollama.errors import PollamaError

log = logging.getLogger(__name__)

CONFIG_ENV = "POLLAMA_REGISTRIES_CONFIG"
CA_BUNDLE_ENV = "POLLAMA_CA_BUNDLE"
CONFIG_FILE = "registries.json"


@dataclass(frozen=True)
class HostConfig:
    """What pollama knows about one registry host."""

    username: str = ""
    password: str = ""
    token: str = ""  # a bearer token used as is (e.g. a personal access token)
    insecure: bool = False

    @property
    def has_basic(self) -> bool:
        return bool(self.username or self.password)


@dataclass(frozen=True)
class RegistryConfig:
    hosts: Mapping[str, HostConfig] = field(default_factory=dict)
    ca_bundle: Path | None = None
    key_path: Path | None = None  # the ed25519 identity key; None: never sign

    def host(self, host: str) -> HostConfig:
        return self.hosts.get(host.lower(), HostConfig())

    @classmethod
    def load(cls, ollama_home: Path, env: Mapping[str, str] | None = None) -> RegistryConfig:
        env = os.environ if env is None else env
        hosts: dict[str, HostConfig] = {}
        docker_dir = env.get("DOCKER_CONFIG") or str(Path(env.get("HOME", "~")) / ".docker")
        hosts.update(_docker_hosts(Path(docker_dir).expanduser() / "config.json"))
        path = Path(env.get(CONFIG_ENV) or ollama_home / CONFIG_FILE).expanduser()
        own = _read_json(path)
        for host, raw in (own.get("registries") or {}).items():
            if isinstance(raw, dict):
                hosts[_host_key(host)] = _host_config(raw, path)
        ca = env.get(CA_BUNDLE_ENV) or own.get("ca_bundle") or ""
        return cls(hosts, Path(ca).expanduser() if ca else None, ollama_home / "id_ed25519")


def _read_json(path: Path) -> dict[str, Any]:
    try:
        doc = json.loads(path.read_text())
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise PollamaError(f"cannot read {path}: {exc}") from exc
    if not isinstance(doc, dict):
        raise PollamaError(f"cannot read {path}: not a JSON object")
    return doc


def _host_key(text: str) -> str:
    """`https://host:port/v1/` or `host:port` -> `host:port` (lower case)."""
    text = text.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    return text.split("/", 1)[0].lower()


def _decode_auth(auth: str, source: Path) -> tuple[str, str]:
    try:
        user, _, password = base64.b64decode(auth).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        log.warning("ignoring an unreadable 'auth' value in %s", source)
        return "", ""
    return user, password


def _host_config(raw: dict[str, Any], source: Path) -> HostConfig:
    username, password = str(raw.get("username") or ""), str(raw.get("password") or "")
    if not username and raw.get("auth"):
        username, password = _decode_auth(str(raw["auth"]), source)
    token = str(raw.get("token") or "")
    return HostConfig(username, password, token, bool(raw.get("insecure", False)))


def _docker_hosts(path: Path) -> dict[str, HostConfig]:
    try:
        doc = _read_json(path)
    except PollamaError as exc:
        log.warning("%s", exc)
        return {}
    auths = doc.get("auths") or {}
    return {
        _host_key(host): _host_config(raw, path)
        for host, raw in auths.items()
        if isinstance(raw, dict)
    }
