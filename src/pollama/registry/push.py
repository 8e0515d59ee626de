"""Push: each blob the registry lacks, then the manifest
(Ollama's server/images.go, PushModel)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

from pollama.errors import BadRequest, PollamaError
from pollama.names import Name
from pollama.registry.client import RegistryClient
from pollama.registry.context import RegistryContext
from pollama.registry.progress import watch
from pollama.registry.upload import BlobUpload
from pollama.store import Store
from pollama.store.manifest import Layer

MAX_MOUNT_SOURCES = 3


def mount_sources(store: Store, name: Name, layer: Layer) -> list[str]:
    """Repositories on the same registry that should hold `layer` already: the one its `from`
    names, then those of local models from that registry that use it."""
    sources: list[str] = []
    candidates: list[Name] = []
    if layer.from_:
        candidates.append(Name.parse(layer.from_))
    for stored in store.manifests.all():
        if layer.digest in stored.manifest.digests():
            candidates.append(stored.name)
    for candidate in candidates:
        if not candidate.is_valid or candidate.host.lower() != name.host.lower():
            continue
        repository = candidate.repository
        if repository != name.repository and repository not in sources:
            sources.append(repository)
    return sources[:MAX_MOUNT_SOURCES]


async def _push_layer(
    registry: RegistryContext, client: RegistryClient, name: Name, layer: Layer
) -> AsyncIterator[dict[str, Any]]:
    path = registry.store.blobs.path(layer.digest)
    if not path.is_file():
        raise PollamaError(f'blob "{layer.digest}" not found')
    mounts = mount_sources(registry.store, name, layer)
    upload = BlobUpload(client, path, layer.digest, mounts)
    status = f"pushing {layer.digest[7:19]}"
    task = asyncio.create_task(upload.run())
    try:
        async for event in watch(
            task,
            status=status,
            digest=layer.digest,
            total=lambda: upload.total,
            completed=lambda: upload.completed,
            interval=registry.policy.progress_interval,
        ):
            yield event
    finally:
        if not task.done():
            task.cancel()


async def push_model(
    registry: RegistryContext, model: str, *, insecure: bool = False
) -> AsyncIterator[dict[str, Any]]:
    name = Name.parse(model)
    if not name.is_valid:
        raise BadRequest("invalid model name")
    store = registry.store
    async with registry.client(name, insecure=insecure) as client:
        yield {"status": "retrieving manifest"}
        stored = store.manifests.get(name)
        if stored is None:
            yield {"status": "couldn't retrieve manifest"}
            path = store.manifests.path(name)
            raise PollamaError(f"open {path}: no such file or directory")
        manifest = stored.manifest
        for layer in [*manifest.layers, manifest.config]:
            async for event in _push_layer(registry, client, name, layer):
                yield event
        yield {"status": "pushing manifest"}
        headers = {"Content-Type": manifest.media_type}
        url = client.url(f"manifests/{name.tag}")
        await client.request("PUT", url, headers=headers, content=stored.raw)
        yield {"status": "success"}
