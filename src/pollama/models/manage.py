"""`/api/copy` and `/api/delete` (§1.10)."""

from __future__ import annotations

from pollama.errors import BadRequest, NotFound
from pollama.names import Name
from pollama.store import Store


def copy_model(store: Store, source: str, destination: str) -> Name:
    src = Name.parse(source)
    if not src.is_valid:
        raise BadRequest(f'source "{source}" is invalid')
    dst = Name.parse(destination)
    if not dst.is_valid:
        raise BadRequest(f'destination "{destination}" is invalid')
    stored = store.manifests.get(src)
    if stored is None:
        raise NotFound(f'model "{source}" not found')
    return store.manifests.write(dst, stored.raw)


def delete_model(store: Store, model: str) -> None:
    name = Name.parse(model)
    if not name.is_valid:
        raise BadRequest(f'name "{model}" is invalid')
    stored = store.manifests.get(name)
    if stored is None:
        raise NotFound(f"model '{model}' not found")
    store.manifests.delete(stored.name)
    # Deleting always removes the model's now-unreferenced blobs, NOPRUNE or not (as Ollama).
    store.prune_blobs(set(stored.manifest.digests()))
