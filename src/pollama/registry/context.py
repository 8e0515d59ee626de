"""What a pull or a push needs from the server: the store, credentials, transport, policy.

A leaf of the registry package: `pull` and `push` take a `RegistryContext`, and `service`
adds the two entry points on top, so neither imports the other.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from pollama.names import Name
from pollama.registry.client import RegistryClient
from pollama.registry.config import RegistryConfig
from pollama.registry.policy import TransferPolicy
from pollama.registry.transfers import Transfers
from pollama.store import Store


@dataclass
class RegistryContext:
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
