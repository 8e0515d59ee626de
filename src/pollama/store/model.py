"""A stored model: its manifest's layers read back into what the server needs."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from pollama.store import media_types
from pollama.store.blobs import BlobStore
from pollama.store.manifests import StoredManifest


@dataclass
class Model:
    stored: StoredManifest
    blobs: BlobStore = field(repr=False)

    @property
    def name(self) -> Any:
        return self.stored.name

    @property
    def manifest(self) -> Any:
        return self.stored.manifest

    def missing_blobs(self) -> list[str]:
        """Digests of the config and layers whose blob files are not in the store."""
        return [d for d in self.manifest.digests() if d and not self.blobs.present(d)]

    def _text(self, *media_type: str) -> str | None:
        layer = self.manifest.first(*media_type)
        return None if layer is None else self.blobs.read_bytes(layer.digest).decode()

    @cached_property
    def config(self) -> dict[str, Any]:
        try:
            doc = json.loads(self.blobs.read_bytes(self.manifest.config.digest))
        except (OSError, ValueError, Exception):
            return {}
        return doc if isinstance(doc, dict) else {}

    @cached_property
    def template(self) -> str | None:
        return self._text(media_types.TEMPLATE, media_types.LEGACY_PROMPT)

    @cached_property
    def system(self) -> str | None:
        return self._text(media_types.SYSTEM)

    @cached_property
    def parameters(self) -> dict[str, Any]:
        text = self._text(media_types.PARAMS)
        if not text:
            return {}
        doc = json.loads(text)
        return doc if isinstance(doc, dict) else {}

    @cached_property
    def messages(self) -> list[dict[str, Any]]:
        text = self._text(media_types.MESSAGES)
        if not text:
            return []
        doc = json.loads(text)
        return doc if isinstance(doc, list) else []

    @cached_property
    def licenses(self) -> list[str]:
        return [
            self.blobs.read_bytes(layer.digest).decode()
            for layer in self.manifest.layers_of(media_types.LICENSE)
        ]

    @property
    def model_layer(self) -> Any:
        return self.manifest.first(media_types.MODEL)

    @property
    def model_path(self) -> Path | None:
        layer = self.model_layer
        return None if layer is None else self.blobs.path(layer.digest)

    @property
    def adapter_paths(self) -> list[Path]:
        return [self.blobs.path(x.digest) for x in self.manifest.layers_of(media_types.ADAPTER)]

    @property
    def projector_paths(self) -> list[Path]:
        return [self.blobs.path(x.digest) for x in self.manifest.layers_of(media_types.PROJECTOR)]

    @property
    def draft_path(self) -> Path | None:
        """The draft model (speculative decoding); the last such layer, as Ollama reads it."""
        drafts = self.manifest.layers_of(media_types.DRAFT)
        return self.blobs.path(drafts[-1].digest) if drafts else None

    @property
    def parent_model(self) -> str:
        layer = self.model_layer
        return "" if layer is None else layer.from_
