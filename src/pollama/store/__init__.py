"""The model store: Ollama's on-disk layout under `OLLAMA_MODELS` (`blobs/` and
`manifests/`), read and written as is."""

from __future__ import annotations

import logging
import shutil
from pathlib import Path

from pollama.errors import NotFound, PollamaError
from pollama.names import Name
from pollama.store.blobs import BlobStore
from pollama.store.guard import PinSet, StoreGuard
from pollama.store.manifest import Manifest
from pollama.store.manifests import ManifestStore, StoredManifest
from pollama.store.model import Model

log = logging.getLogger(__name__)

__all__ = ["BlobStore", "ManifestStore", "Model", "PinSet", "Store", "StoredManifest"]


class Store:
    """The store. Every edit of what references a blob goes through `publish`, `remove` or
    `prune_blobs`, which hold the guard (see `store.guard`); readers take no lock."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = BlobStore(root / "blobs")
        self.manifests = ManifestStore(root / "manifests")
        self.guard = StoreGuard(root)

    def ensure(self) -> None:
        self.blobs.ensure()
        self.manifests.root.mkdir(parents=True, exist_ok=True, mode=0o755)

    def model(self, name: Name) -> Model | None:
        stored = self.manifests.get(name)
        return None if stored is None else Model(stored, self.blobs)

    def complete_model(self, name: Name) -> Model | None:
        """The model if its manifest and every blob it names are here, else None: a manifest
        whose blobs are missing (copied by hand without them) is a model Ollama cannot open,
        and it answers "not found" for it (a missing blob is fs.ErrNotExist there too)."""
        model = self.model(name)
        if model is None:
            return None
        missing = model.missing_blobs()
        if missing:
            log.warning("model %s is missing blobs: %s", model.name.display_shortest, missing)
            return None
        return model

    def require(self, name: Name, message: str) -> Model:
        model = self.model(name)
        if model is None:
            raise NotFound(message)
        return model

    def models(self) -> list[Model]:
        return [Model(stored, self.blobs) for stored in self.manifests.all()]

    def publish(self, name: Name, raw: bytes, *, prune: bool) -> tuple[Name, list[str]]:
        """Write manifest `raw` for `name`, refusing if a blob it names is missing (so no
        answer ever leaves a broken model); with `prune`, delete the blobs of the version it
        replaces that nothing references any more. Returns the name written and the blobs
        removed. The caller pins the new manifest's blobs until this returns."""
        manifest = Manifest.parse(raw)
        with self.guard.mutation():
            for digest in manifest.digests():
                if not self.blobs.present(digest):
                    raise PollamaError(f'blob "{digest}" not found')
            old = self.manifests.get(name)
            written = self.manifests.write(name, raw)
            removed: list[str] = []
            if old is not None and prune:
                removed = self.prune_blobs(set(old.manifest.digests()) - set(manifest.digests()))
        return written, removed

    def remove(self, name: Name) -> StoredManifest | None:
        """Delete `name`'s manifest and the blobs nothing references any more (always, as
        Ollama's delete does whatever OLLAMA_NOPRUNE says). None if there is no such model."""
        with self.guard.mutation():
            stored = self.manifests.get(name)
            if stored is None:
                return None
            self.manifests.delete(stored.name)
            self.prune_blobs(set(stored.manifest.digests()))
        return stored

    def prune_blobs(self, candidates: set[str] | None = None) -> list[str]:
        """Delete blobs no manifest references (only `candidates` when given) and no operation
        in progress has pinned. Nothing is deleted if any manifest is unreadable."""
        with self.guard.mutation():
            used = self.manifests.referenced_digests()
            if used is None:
                log.warning("not pruning blobs: a manifest could not be read")
                return []
            pool = set(self.blobs.digests()) if candidates is None else candidates
            unused = sorted(d for d in pool if d not in used)
            return self.guard.remove_unpinned(unused, self.blobs.delete)

    def housekeeping(self, *, prune: bool) -> None:
        """At server start: fix `sha256:` blob names, drop stray temp files, prune if asked."""
        self.ensure()
        for path in self.blobs.root.iterdir():
            if path.name.startswith("sha256:"):
                path.rename(path.with_name(path.name.replace(":", "-", 1)))
            elif path.name.startswith(".tmp-") and path.is_dir() and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)  # a conversion's staging folder
            elif path.name.startswith(".tmp-"):
                path.unlink(missing_ok=True)
        if prune:
            removed = self.prune_blobs()
            if removed:
                log.info("pruned %d unused blobs", len(removed))
