"""LoRA adapters over one loaded base model: loaded on first use, kept, applied per decode.

A request names the adapter files of its model (`GenerateParams.adapters`); the engine asks
`LoraAdapters.load` for that set when it admits the request, and `apply` before every
llama_decode of the set's sequences. Models that differ only by adapters therefore share
one loaded base: each adapter costs its own tensors, not another copy of the weights.

Every adapter is applied at scale 1.0, as Ollama does. Loading happens on the engine thread
(llama.cpp records adapters on the model), and an adapter that llama.cpp refuses is a
`PollamaError` for the request that named it; the runner and its other requests go on.
"""

from __future__ import annotations

import ctypes
from typing import Any

import llama_cpp as llama

from pollama.errors import PollamaError
from pollama.runner.model import Model

AdapterSet = tuple[str, ...]  # adapter file paths, in the model's layer order; () = the base
SCALE = 1.0


class AdapterLoadError(PollamaError):
    status = 500


class LoraAdapters:
    """The adapters loaded on one model, and which set is applied on each context."""

    def __init__(self, model: Model) -> None:
        self._model = model
        self._loaded: dict[str, Any] = {}  # path -> llama_adapter_lora pointer
        self._applied: dict[int, AdapterSet] = {}  # id(context) -> the set applied there

    @property
    def paths(self) -> list[str]:
        return list(self._loaded)

    def load(self, adapters: AdapterSet) -> None:
        """Make sure every adapter of the set is loaded; raises AdapterLoadError."""
        for path in adapters:
            if path in self._loaded:
                continue
            pointer = llama.llama_adapter_lora_init(self._model.ptr, path.encode())
            if not pointer:
                raise AdapterLoadError(
                    f"unable to load LoRA adapter {path}: llama.cpp refused it "
                    "(does it fit the base model?)"
                )
            self._loaded[path] = pointer

    def apply(self, ctx: Any, adapters: AdapterSet) -> None:
        """Set exactly `adapters` on `ctx` (each loaded first with `load`) for the next
        decode; nothing is done when that set is already there."""
        key = id(ctx)
        if self._applied.get(key, ()) == adapters:
            return
        count = len(adapters)
        if count == 0:
            status = llama.llama_set_adapters_lora(ctx, None, 0, None)
        else:
            pointers = (llama.llama_adapter_lora_p_ctypes * count)(
                *(self._loaded[path] for path in adapters)
            )
            scales = (ctypes.c_float * count)(*([SCALE] * count))
            status = llama.llama_set_adapters_lora(ctx, pointers, count, scales)
        if status != 0:
            self._applied.pop(key, None)  # the context's state is not known any more
            raise AdapterLoadError(f"unable to apply LoRA adapters (status {status})")
        self._applied[key] = adapters

    def forget_context(self, ctx: Any) -> None:
        self._applied.pop(id(ctx), None)

    def close(self) -> None:
        """Free every adapter (after the contexts that used them are freed)."""
        for pointer in self._loaded.values():
            llama.llama_adapter_lora_free(pointer)
        self._loaded.clear()
        self._applied.clear()
