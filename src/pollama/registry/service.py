"""`Registry`: what pull and push need, built once per server (or per test)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from pollama.errors import PollamaError
from pollama.names import Name
from pollama.registry.client import RegistryClient
from pollama.registry.config import RegistryConfig
from pollama.registry.errors import transport_failure
from pollama.registry.policy import TransferPolicy
from pollama.registry.transfers import Transfers
from pollama.store import Store


@dataclass
class Registry:
    store: Store
    config: Callable[[], RegistryConfig] = RegistryConfig
    transport: httpx.AsyncBaseTransport | None = None  # None: real network (with env proxies)
    policy: TransferPolicy = field(default_factory=TransferPolicy)
    transfers: Transfers = field(default_factory=Transfers)
    prune: bool = True

    def client(self, name: Name, *, insecure: bool = False) -> RegistryClient:
        return RegistryClient(
            name, self.config(), insecure=insecure, transport=self.transport, policy=self.policy
        )

    def pull(self, model: str, *, insecure: bool = False) -> AsyncIterator[dict[str, Any]]:
        """Ollama's pull progress stream (§1.11); errors are raised from the iterator."""
        from pollama.registry.pull import pull_model

        return _worded(pull_model(self, model, insecure=insecure))

    def push(self, model: str, *, insecure: bool = False) -> AsyncIterator[dict[str, Any]]:
        """Ollama's push progress stream (§1.11); errors are raised from the iterator."""
        from pollama.registry.push import push_model

        return _worded(push_model(self, model, insecure=insecure))


async def _worded(events: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
    """`events`, with network failures raised as `PollamaError`s (shown to the user as is)."""
    try:
        async for event in events:
            yield event
    except httpx.RequestError as exc:  # the network, a redirect loop, an undecodable body
        raise PollamaError(transport_failure(exc)) from exc
    finally:
        await events.aclose()  # type: ignore[attr-defined]
