"""An HTTP client bound to one repository of one registry (after Ollama's server/images.go,
makeRequestWithRetry).

Every request goes through `stream`: the current credentials are attached, a 401 is answered
once through the `Authenticator` and the request sent again. The transport is swappable (tests
pass an `httpx.MockTransport`); proxies come from the standard environment variables.
"""

from __future__ import annotations

import platform
import ssl
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import certifi
import httpx

from pollama import __version__
from pollama.names import Name
from pollama.registry.auth import Authenticator, Signer, load_signer
from pollama.registry.config import RegistryConfig
from pollama.registry.errors import InsecureProtocol, RegistryError, RegistryNotFound
from pollama.registry.policy import TransferPolicy

# Registries gate features on the client's version, so the Ollama API version pollama speaks
# leads the agent string.
USER_AGENT = (
    f"ollama/0.33.0 ({platform.machine()} {platform.system().lower()}) "
    f"Python/{platform.python_version()} pollama/{__version__}"
)
Content = bytes | Callable[[], AsyncIterator[bytes]] | None


class _Shared(httpx.AsyncBaseTransport):
    """A caller's transport, shared by several clients: closing one client leaves it open."""

    def __init__(self, transport: httpx.AsyncBaseTransport) -> None:
        self.transport = transport

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await self.transport.handle_async_request(request)


def ssl_context(ca_bundle: Path | None) -> ssl.SSLContext | bool:
    """Default verification, plus the CAs of `ca_bundle` when one is configured."""
    if ca_bundle is None:
        return True  # httpx then honours SSL_CERT_FILE / SSL_CERT_DIR itself
    context = ssl.create_default_context(cafile=certifi.where())
    context.load_verify_locations(cafile=str(ca_bundle))
    return context


def raise_for_status(response: httpx.Response) -> None:
    if response.status_code == 404:
        raise RegistryNotFound()
    if response.status_code >= 400:
        raise RegistryError(response.status_code, response.text[:2000])


@dataclass(frozen=True)
class Endpoint:
    """Where a name lives: `<scheme>://<host>` and `<namespace>/<model>`. `insecure` turns every
    request to plain http; an `http://` name without it is refused (`insecure protocol http`)."""

    base_url: str
    repository: str

    @classmethod
    def of(cls, name: Name, *, insecure: bool) -> Endpoint:
        if name.scheme == "http" and not insecure:
            raise InsecureProtocol()
        scheme = "http" if insecure else name.scheme
        return cls(f"{scheme}://{name.host}", name.repository)

    def url(self, path: str, repository: str | None = None) -> str:
        return f"{self.base_url}/v2/{repository or self.repository}/{path}"


class RegistryClient:
    def __init__(
        self,
        name: Name,
        config: RegistryConfig,
        *,
        insecure: bool = False,
        transport: httpx.AsyncBaseTransport | None = None,
        policy: TransferPolicy | None = None,
        authenticator: Authenticator | None = None,
    ) -> None:
        self.name = name
        self.config = config
        self.host = config.host(name.host)
        self.insecure = insecure or self.host.insecure
        self.endpoint = Endpoint.of(name, insecure=self.insecure)
        self.policy = policy or TransferPolicy()
        self._transport = transport
        self.auth = authenticator or Authenticator(self.endpoint.base_url, self.host, self._signer)
        self.http = httpx.AsyncClient(
            transport=_Shared(transport) if transport is not None else None,
            verify=ssl_context(config.ca_bundle) if transport is None else True,
            trust_env=True,
            timeout=httpx.Timeout(self.policy.stall_timeout, connect=self.policy.connect_timeout),
            headers={"User-Agent": USER_AGENT},
        )
        self._signer_cache: list[Signer | None] = []

    def _signer(self) -> Signer | None:
        if not self._signer_cache:
            self._signer_cache.append(load_signer(self.config.key_path))
        return self._signer_cache[0]

    def clone(self) -> RegistryClient:
        """A client of its own (for a download task that may outlive this one's user), sharing
        the credentials found so far."""
        return RegistryClient(
            self.name,
            self.config,
            insecure=self.insecure,
            transport=self._transport,
            policy=self.policy,
            authenticator=self.auth,
        )

    async def aclose(self) -> None:
        await self.http.aclose()

    async def __aenter__(self) -> RegistryClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def url(self, path: str, repository: str | None = None) -> str:
        return self.endpoint.url(path, repository)

    @asynccontextmanager
    async def stream(
        self,
        method: str,
        url: str,
        *,
        headers: dict[str, str] | None = None,
        content: Content = None,
        follow_redirects: bool = True,
        authorize: bool = True,
    ) -> AsyncIterator[httpx.Response]:
        """Send a request (again after answering a 401 once); the body is left to the caller.
        `content` is bytes or a function making the body anew for each attempt."""
        for attempt in range(2):
            sent = dict(headers or {})
            used = self.auth.header if authorize else None
            if used:
                sent["Authorization"] = used
            body: Any = content() if callable(content) else content
            request = self.http.build_request(method, url, headers=sent, content=body)
            response = await self.http.send(request, stream=True, follow_redirects=follow_redirects)
            if response.status_code == 401 and authorize and attempt == 0:
                try:
                    await response.aread()
                finally:
                    await response.aclose()
                await self.auth.refresh(self.http, response, used)
                continue
            try:
                yield response
            finally:
                await response.aclose()
            return

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """`stream` with the body read; an error status raises (404 as `RegistryNotFound`)."""
        async with self.stream(method, url, **kwargs) as response:
            await response.aread()
        raise_for_status(response)
        return response
