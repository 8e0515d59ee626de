"""Building a new model's layer list, as Ollama's create does
(server/create.go, CreateHandler)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pollama.store import PinSet, media_types
from pollama.store.blobs import BlobStore, digest_bytes
from pollama.store.manifest import Layer

# Layers taken from a base model (FROM an existing model), replaced when the request sets them.
_REPLACEABLE = {
    "template": (media_types.TEMPLATE, media_types.LEGACY_PROMPT),
    "system": (media_types.SYSTEM,),
    "params": (media_types.PARAMS,),
    "messages": (media_types.MESSAGES,),
}


def compact_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


@dataclass
class LayerList:
    """An ordered list of layers, each with whether its blob was just created. Every layer's
    digest is pinned in `pins` (before a text blob is looked for, so that a concurrent prune
    cannot remove the copy found)."""

    blobs: BlobStore
    pins: PinSet
    layers: list[Layer] = field(default_factory=list)
    created: set[str] = field(default_factory=set)

    def add_existing(self, layer: Layer) -> None:
        self.pins.add(layer.digest)
        self.layers.append(layer)

    def add_blob(self, media_type: str, data: bytes) -> Layer:
        digest = digest_bytes(data)
        self.pins.add(digest)
        if not self.blobs.exists(digest):
            self.blobs.write_bytes(data)
            self.created.add(digest)
        layer = Layer(media_type, digest, len(data))
        self.layers.append(layer)
        return layer

    def replace(self, old: Layer, new: Layer, *, created: bool) -> None:
        """Put `new` where `old` was (its blob already written and pinned)."""
        self.pins.add(new.digest)
        self.layers = [new if x == old else x for x in self.layers]
        if created:
            self.created.add(new.digest)

    def remove(self, *types: str) -> None:
        self.layers = [x for x in self.layers if x.media_type not in types]

    def replace_text(self, kind: str, data: bytes) -> None:
        types = _REPLACEABLE[kind]
        self.remove(*types)
        self.add_blob(types[0], data)

    def of(self, media_type: str) -> list[Layer]:
        return [x for x in self.layers if x.media_type == media_type]

    def last_blob(self, media_type: str) -> Path | None:
        """The blob of the last layer of `media_type` (the one a model reads), if any."""
        found = self.of(media_type)
        return self.blobs.path(found[-1].digest) if found else None
