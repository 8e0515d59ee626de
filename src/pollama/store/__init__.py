"""The model store: Ollama's on-disk layout under `OLLAMA_MODELS` (§8.1), read and written as is."""

from __future__ import annotations

import logging
from pathlib import Path

from pollama.errors import NotFound
from pollama.names import Name
from pollama.store.blobs import BlobStore
from pollama.store.manifests import ManifestStore, StoredManifest
from pollama.store.model import Model

log = logging.getLogger(__name__)

__all__ = ["BlobStore", "ManifestStore", "Model", "Store", "StoredManifest"]


class Store:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = BlobStore(root / "blobs")
        self.manifests = ManifestStore(root / "manifests")

    def ensure(self) -> None:
        self.blobs.ensure()
        self.manifests.root.mkdir(parents=True, exist_ok=True, mode=0o755)

    def model(self, name: Name) -> Model | None:
        stored = self.manifests.get(name)
        return None if stored is None else Model(stored, self.blobs)

    def require(self, name: Name, message: str) -> Model:
        model = self.model(name)
        if model is None:
            raise NotFound(message)
        return model

    def models(self) -> list[Model]:
        return [Model(stored, self.blobs) for stored in self.manifests.all()]

    def prune_blobs(self, candidates: set[str] | None = None) -> list[str]:
        """Delete blobs no manifest references (only `candidates` when given). Nothing is deleted
        if any manifest is unreadable."""
        used = self.manifests.referenced_digests()
        if used is None:
            log.warning("not pruning blobs: a manifest could not be read")
            return []
        pool = set(self.blobs.digests()) if candidates is None else candidates
        removed = sorted(d for d in pool if d not in used)
        for digest in removed:
            self.blobs.delete(digest)
        return removed

    def housekeeping(self, *, prune: bool) -> None:
        """At server start: fix `sha256:` blob names, drop stray temp files, prune if asked."""
        self.ensure()
        for path in self.blobs.root.iterdir():
            if path.name.startswith("sha256:"):
                path.rename(path.with_name(path.name.replace(":", "-", 1)))
            elif path.name.startswith(".tmp-"):
                path.unlink(missing_ok=True)
        if prune:
            removed = self.prune_blobs()
            if removed:
                log.info("pruned %d unused blobs", len(removed))
