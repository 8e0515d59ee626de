"""Keys written to a key file, and requests sent to an ASGI app in-process."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
from starlette.types import ASGIApp

from pollama.auth.keyfile import KeyEntry, add_entry
from pollama.auth.ratelimit import Rate
from pollama.auth.tokens import digest, new_key, new_key_id


def make_key(path: Path, *scopes: str, rate: str | None = None) -> str:
    """A new key with `scopes` (default read, infer) added to the file at `path`."""
    key_id = new_key_id()
    key = new_key(key_id)
    granted = frozenset(scopes or ("read", "infer"))
    add_entry(path, KeyEntry(key_id, digest(key), granted, Rate.parse(rate) if rate else None))
    return key


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def call(app: ASGIApp, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            return await client.request(method, path, **kwargs)

    return asyncio.run(send())
