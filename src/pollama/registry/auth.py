"""Answering a registry's 401: Bearer token flow, Basic credentials, Ollama's signed requests.

One `Authenticator` serves one registry host. The token request carries, in order of choice:
Basic credentials configured for the host; else, when the realm is on the registry's own host
(as on registry.ollama.ai and hf.co), Ollama's ed25519 signature (server/auth.go); else nothing
(anonymous tokens, as public Docker-style registries hand out).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol
from urllib.parse import urlsplit

import httpx

from pollama.errors import PollamaError
from pollama.registry.challenge import Challenge, parse_challenge, token_url
from pollama.registry.config import HostConfig
from pollama.registry.errors import RegistryError

log = logging.getLogger(__name__)


class Signer(Protocol):
    def token_request_authorization(self, url: str, method: str = "GET") -> str: ...


def load_signer(key_path: Path | None) -> Signer | None:
    """The identity key at `key_path` (made on first use); None if it cannot be had."""
    if key_path is None:
        return None
    try:
        from pollama.registry.keys import IdentityKey
    except ImportError:
        log.warning("the 'cryptography' package is missing: registry requests are not signed")
        return None
    return IdentityKey.load_or_create(key_path)


def basic_header(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


def nonce(random_bytes: Callable[[int], bytes] = secrets.token_bytes) -> str:
    """16 random bytes, base64url without padding (Ollama's `auth.NewNonce`)."""
    return base64.urlsafe_b64encode(random_bytes(16)).rstrip(b"=").decode()


class Authenticator:
    def __init__(
        self,
        registry_url: str,
        host: HostConfig,
        signer: Callable[[], Signer | None] = lambda: None,
        *,
        clock: Callable[[], float] = time.time,
        random_bytes: Callable[[int], bytes] = secrets.token_bytes,
    ) -> None:
        self._registry = urlsplit(registry_url)
        self._host = host
        self._signer = signer
        self._clock = clock
        self._random_bytes = random_bytes
        self._lock = asyncio.Lock()
        self.header: str | None = f"Bearer {host.token}" if host.token else None

    async def refresh(
        self, http: httpx.AsyncClient, response: httpx.Response, used: str | None
    ) -> None:
        """Update `header` after `response` (a 401 to a request sent with `used`)."""
        async with self._lock:
            if self.header != used:
                return  # another request already answered the same challenge
            challenge = parse_challenge(response.headers.get("www-authenticate", ""))
            if challenge is not None and challenge.scheme == "bearer" and challenge.realm:
                self.header = "Bearer " + await self._fetch_token(http, challenge)
            elif challenge is not None and challenge.scheme == "basic" and self._host.has_basic:
                if used and used.startswith("Basic "):
                    raise RegistryError(401, response.text)  # the credentials were refused
                self.header = basic_header(self._host.username, self._host.password)
            else:
                raise RegistryError(401, response.text)

    def _credentials_allowed(self, realm_scheme: str) -> bool:
        """Never send secrets over plain HTTP to a realm of an HTTPS registry."""
        return realm_scheme == "https" or self._registry.scheme == "http"

    async def _fetch_token(self, http: httpx.AsyncClient, challenge: Challenge) -> str:
        realm = urlsplit(challenge.realm)
        if realm.scheme not in ("http", "https"):
            raise PollamaError(f"unsupported token realm {challenge.realm!r}")
        headers: dict[str, str] = {}
        extra: list[tuple[str, str]] = []
        signer = None
        if self._host.has_basic and self._credentials_allowed(realm.scheme):
            headers["Authorization"] = basic_header(self._host.username, self._host.password)
        elif realm.netloc.lower() == self._registry.netloc.lower():
            signer = self._signer()
            if signer is not None:
                extra = [("ts", str(int(self._clock()))), ("nonce", nonce(self._random_bytes))]
        url = token_url(challenge, extra)
        if signer is not None:
            headers["Authorization"] = signer.token_request_authorization(url)
        response = await http.get(url, headers=headers, follow_redirects=True)
        if response.status_code >= 400:
            raise RegistryError(response.status_code, response.text)
        try:
            doc = response.json()
            token = doc.get("token") or doc.get("access_token")
        except (ValueError, AttributeError):
            token = None
        if not isinstance(token, str) or not token:
            raise PollamaError(f"no token in the answer of {challenge.realm}")
        return token
