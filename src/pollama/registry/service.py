"""`Registry`: pull and push, built once per server (or per test) over a `RegistryContext`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx

from pollama.errors import PollamaError
from pollama.registry.context import RegistryContext
from pollama.registry.errors import transport_failure
from pollama.registry.pull import pull_model
from pollama.registry.push import push_model


class Registry(RegistryContext):
    def pull(self, model: str, *, insecure: bool = False) -> AsyncIterator[dict[str, Any]]:
        """Ollama's pull progress stream (`/api/pull`); errors are raised from the iterator."""
        return _worded(pull_model(self, model, insecure=insecure))

    def push(self, model: str, *, insecure: bool = False) -> AsyncIterator[dict[str, Any]]:
        """Ollama's push progress stream (`/api/push`); errors are raised from the iterator."""
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
