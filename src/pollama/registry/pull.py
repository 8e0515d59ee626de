"""Pull: manifest, then each missing blob, verified, then the manifest written last
(Ollama's server/images.go, PullModel)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack
from typing import Any

import httpx

from pollama.errors import BadRequest, PollamaError
from pollama.names import Name
from pollama.registry.client import RegistryClient
from pollama.registry.context import RegistryContext
from pollama.registry.download import BlobDownload
from pollama.registry.errors import (
    ManifestNotFound,
    RegistryError,
    RegistryNotFound,
    transport_failure,
)
from pollama.registry.policy import QUICK_TRIES, retry
from pollama.registry.progress import progress, watch
from pollama.store import media_types
from pollama.store.blobs import parse_digest
from pollama.store.manifest import Layer, Manifest

MANIFEST_TRIES = QUICK_TRIES
MANIFEST_ACCEPT = f"{media_types.MANIFEST}, {media_types.OCI_MANIFEST}"
_SUPPORTED = (media_types.MANIFEST, media_types.OCI_MANIFEST)


async def fetch_manifest(client: RegistryClient, tag: str) -> bytes:
    url = client.url(f"manifests/{tag}")

    async def get() -> bytes:
        response = await client.request("GET", url, headers={"Accept": MANIFEST_ACCEPT})
        raw = response.content
        sent = response.headers.get("docker-content-digest", "")
        if sent.startswith("sha256:") and sent != "sha256:" + hashlib.sha256(raw).hexdigest():
            raise PollamaError(f"pull model manifest: the manifest does not match {sent}")
        return raw

    try:
        # few tries: a registry that cannot be reached at all should fail the pull quickly
        return await retry(client.policy, f"manifest {url}", get, tries=MANIFEST_TRIES)
    except httpx.TransportError as exc:
        raise PollamaError(f"pull model manifest: {transport_failure(exc)}") from None
    except RegistryNotFound:
        raise ManifestNotFound() from None
    except RegistryError as exc:
        raise PollamaError(f"pull model manifest: {exc.message}") from None


def parse_manifest(raw: bytes) -> Manifest:
    """The pulled manifest, refused unless every digest is a well-formed sha256."""
    try:
        manifest = Manifest.parse(raw)
        if manifest.media_type not in _SUPPORTED:
            raise PollamaError(f"unsupported manifest type {manifest.media_type!r}")
        for layer in [manifest.config, *manifest.layers]:
            if parse_digest(layer.digest) != layer.digest or layer.size < 0:
                raise BadRequest(f"invalid layer {layer.digest!r}")
    except (PollamaError, BadRequest) as exc:
        raise PollamaError(f"pull model manifest: {exc.message}") from None
    return manifest


async def _pull_layer(
    registry: RegistryContext,
    client: RegistryClient,
    layer: Layer,
    stack: AsyncExitStack,
    tasks: list[asyncio.Task[None]],
) -> AsyncIterator[dict[str, Any]]:
    """Progress for one blob until its bytes are all in; its task (which goes on to verify and
    publish it) is added to `tasks`, and kept alive by `stack` until the pull ends."""
    status = f"pulling {layer.digest[7:19]}"
    blobs = registry.store.blobs
    if blobs.exists(layer.digest):
        size = blobs.size(layer.digest)
        yield progress(status, layer.digest, size, size)
        return
    download, task = await stack.enter_async_context(
        registry.transfers.download(
            layer.digest, lambda: BlobDownload(client.clone(), blobs, layer.digest, layer.size)
        )
    )
    tasks.append(task)
    async for event in watch(
        task,
        status=status,
        digest=layer.digest,
        total=lambda: layer.size,
        completed=lambda: download.completed,
        interval=registry.policy.progress_interval,
        finished=download.downloaded.is_set,
    ):
        yield event


async def pull_model(
    registry: RegistryContext, model: str, *, insecure: bool = False
) -> AsyncIterator[dict[str, Any]]:
    name = Name.parse(model)
    if not name.is_valid:
        raise BadRequest("invalid model name")
    store = registry.store
    async with registry.client(name, insecure=insecure) as client, AsyncExitStack() as stack:
        yield {"status": "pulling manifest"}
        raw = await fetch_manifest(client, name.tag)
        manifest = parse_manifest(raw)
        # Its blobs stay pinned until the manifest is written, so that a concurrent delete's
        # prune cannot remove one that was already here (store.guard).
        stack.enter_context(store.guard.pinned(manifest.digests()))
        tasks: list[asyncio.Task[None]] = []
        for layer in [*manifest.layers, manifest.config]:
            async for event in _pull_layer(registry, client, layer, stack, tasks):
                yield event
        yield {"status": "verifying sha256 digest"}
        for task in tasks:
            await asyncio.shield(task)
        yield {"status": "writing manifest"}
        # Under the store lock, in a thread: a create or delete may hold it for a moment.
        _, removed = await asyncio.to_thread(store.publish, name, raw, prune=registry.prune)
        if removed:
            yield {"status": "removing unused layers"}
        yield {"status": "success"}
