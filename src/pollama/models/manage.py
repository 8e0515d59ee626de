"""`/api/copy` and `/api/delete` (Ollama's server/routes.go: CopyHandler, DeleteHandler)."""

from __future__ import annotations

from pollama.errors import BadRequest, NotFound
from pollama.names import Name
from pollama.store import Model, Store


def copy_model(store: Store, source: str, destination: str) -> Name:
    src = Name.parse(source)
    if not src.is_valid:
        raise BadRequest(f'source "{source}" is invalid')
    dst = Name.parse(destination)
    if not dst.is_valid:
        raise BadRequest(f'destination "{destination}" is invalid')
    stored = store.manifests.get(src)
    # A source whose blobs are missing is "not found", as for show and run (see Store.model).
    if stored is None or Model(stored, store.blobs).missing_blobs():
        raise NotFound(f'model "{source}" not found')
    with store.guard.pinned(stored.manifest.digests()):
        written, _ = store.publish(dst, stored.raw, prune=False)
    return written


def delete_model(store: Store, model: str) -> None:
    name = Name.parse(model)
    if not name.is_valid:
        raise BadRequest(f'name "{model}" is invalid')
    # Deleting always removes the model's now-unreferenced blobs, NOPRUNE or not (as Ollama).
    if store.remove(name) is None:
        raise NotFound(f"model '{model}' not found")
