"""The config blob of a manifest (Ollama's ConfigV2)."""

from __future__ import annotations

import platform
from typing import Any

from pollama.gguf import metadata
from pollama.store.manifest import Layer

_ARCH = {"x86_64": "amd64", "aarch64": "arm64", "arm64": "arm64"}


def build_config(
    info: metadata.GGUFInfo | None,
    layers: list[Layer],
    base: dict[str, Any],
    requires: str | None,
    *,
    draft: metadata.GGUFInfo | None = None,
) -> dict[str, Any]:
    """Fields in Ollama's order; a model made FROM another keeps what it does not recompute.
    `draft` is the draft layer's GGUF, described as Ollama's `draft` object."""
    config: dict[str, Any] = {}
    fields = metadata.config_fields(info) if info is not None else {}
    for key in ("model_format", "model_family", "model_families", "model_type", "file_type"):
        value = fields.get(key, base.get(key))
        if value:
            config[key] = value
    if requires or base.get("requires"):
        config["requires"] = requires or base.get("requires")
    for key in ("context_length", "embedding_length"):
        value = fields.get(key, base.get(key))
        if value:
            config[key] = value
    if draft is not None:
        config["draft"] = {"model_format": "gguf", "architecture": draft.architecture}
    config["architecture"] = _ARCH.get(platform.machine(), platform.machine())
    config["os"] = platform.system().lower()
    config["rootfs"] = {"type": "layers", "diff_ids": [layer.digest for layer in layers]}
    return config
