"""The manifest document (Docker image manifest v2 shape, as Ollama's server/manifest.go
reads and writes it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pollama.errors import PollamaError
from pollama.store import media_types


@dataclass(frozen=True)
class Layer:
    media_type: str
    digest: str
    size: int
    from_: str = ""  # source model name or file name, for model layers
    name: str = ""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "mediaType": self.media_type,
            "digest": self.digest,
            "size": self.size,
        }
        if self.from_:
            out["from"] = self.from_
        if self.name:
            out["name"] = self.name
        return out

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Layer:
        return cls(
            media_type=str(raw.get("mediaType", "")),
            digest=str(raw["digest"]),
            size=int(raw.get("size", 0)),
            from_=str(raw.get("from", "") or ""),
            name=str(raw.get("name", "") or ""),
        )


@dataclass(frozen=True)
class Manifest:
    config: Layer
    layers: list[Layer] = field(default_factory=list)
    schema_version: int = 2
    media_type: str = media_types.MANIFEST

    @property
    def size(self) -> int:
        """Σ layer sizes + config size, as `/api/tags` reports it."""
        return self.config.size + sum(layer.size for layer in self.layers)

    def digests(self) -> list[str]:
        return [self.config.digest, *(layer.digest for layer in self.layers)]

    def layers_of(self, media_type: str) -> list[Layer]:
        return [layer for layer in self.layers if layer.media_type == media_type]

    def first(self, *media_type: str) -> Layer | None:
        return next((layer for layer in self.layers if layer.media_type in media_type), None)

    def to_bytes(self) -> bytes:
        """Compact JSON + newline, as Ollama writes manifests on create and copy."""
        doc = {
            "schemaVersion": self.schema_version,
            "mediaType": self.media_type,
            "config": self.config.to_json(),
            "layers": [layer.to_json() for layer in self.layers],
        }
        return json.dumps(doc, separators=(",", ":")).encode() + b"\n"

    @classmethod
    def parse(cls, data: bytes) -> Manifest:
        try:
            raw = json.loads(data)
            return cls(
                config=Layer.from_json(raw["config"]),
                layers=[Layer.from_json(layer) for layer in raw.get("layers") or []],
                schema_version=int(raw.get("schemaVersion", 2)),
                media_type=str(raw.get("mediaType", media_types.MANIFEST)),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise PollamaError(f"invalid manifest: {exc}") from exc
