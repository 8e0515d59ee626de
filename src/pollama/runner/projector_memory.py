"""What a vision projector (mmproj) adds to a runner's memory plan, read from its GGUF header.

    weights  the projector's tensor bytes (mtmd reads them in whole with the model)
  + compute  mtmd's graph buffer for one image at the encoder's input size, roughly: per
             patch 4 B x (3 n_ff + 4 n_embd) of activations, plus 4 B x n_head x n_patches of
             attention scores (the encoder attends over every patch of the image)

A rough bound, as Ollama's: llama.cpp sizes the real buffer when the first image is encoded.
Pure (no llama.cpp): `memory.plan_memory` adds it when a spec names a projector.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pollama.gguf.metadata import derived_from_gguf


@dataclass(frozen=True)
class ProjectorShape:
    """The facts of a projector that decide its memory."""

    weights_bytes: int
    image_size: int
    patch_size: int
    n_embd: int
    n_ff: int
    n_head: int

    @classmethod
    def from_gguf_kv(cls, kv: dict[str, Any], weights_bytes: int) -> ProjectorShape:
        def number(key: str) -> int:
            value = kv.get(f"clip.vision.{key}", 0)
            return int(value) if isinstance(value, int) and not isinstance(value, bool) else 0

        return cls(
            weights_bytes=weights_bytes,
            image_size=number("image_size"),
            patch_size=number("patch_size"),
            n_embd=number("embedding_length"),
            n_ff=number("feed_forward_length"),
            n_head=number("attention.head_count"),
        )

    @property
    def n_patches(self) -> int:
        if not self.patch_size:
            return 0
        return (self.image_size // self.patch_size) ** 2


def projector_compute_bytes(shape: ProjectorShape) -> int:
    patches = shape.n_patches
    per_patch = 4 * (3 * shape.n_ff + 4 * shape.n_embd) + 4 * shape.n_head * patches
    return patches * per_patch


def read_projector_shape(path: Path) -> ProjectorShape:
    """The shape of the projector GGUF at `path` (cached while the file is unchanged)."""
    return derived_from_gguf(path, ProjectorShape.from_gguf_kv)


def projector_bytes(path: Path | None) -> int:
    """Weights and compute of the projector at `path`; 0 without one, or when its header does
    not read (the load then fails with the projector's own error)."""
    if path is None:
        return 0
    from pollama.gguf.parse import GGUFError

    try:
        shape = read_projector_shape(path)
    except (OSError, GGUFError):
        return 0
    return shape.weights_bytes + projector_compute_bytes(shape)
