"""What a conversion will write, known before any tensor data is read.

Planning reads only `config.json`, the tokenizer files and the safetensors headers; every
refusal happens there. Writing then streams the planned tensors one at a time, so memory stays
bounded by the largest tensor, not the model.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from gguf import GGUFValueType

# The GGUF tensor types a conversion writes. BF16 arrays travel as uint16 bit patterns (numpy
# has no bfloat16); F16 as float16; F32 as float32.
OutputType = Literal["F32", "F16", "BF16"]


@dataclass(frozen=True)
class KV:
    """One GGUF metadata entry; `sub_type` is the element type of an ARRAY."""

    key: str
    value: Any
    type: GGUFValueType
    sub_type: GGUFValueType | None = None


@dataclass(frozen=True)
class PlannedTensor:
    """A GGUF tensor to write: `shape` in numpy order (row-major, as safetensors stores it),
    `load()` returns exactly that shape in the array dtype of `dtype`."""

    name: str
    shape: tuple[int, ...]
    dtype: OutputType
    load: Callable[[], np.ndarray]


@dataclass
class ConversionPlan:
    """A model or adapter GGUF: its architecture, metadata and tensors, in writing order."""

    architecture: str  # the GGUF architecture name ("llama", "qwen2", "gemma3", ...)
    metadata: list[KV] = field(default_factory=list)
    tensors: list[PlannedTensor] = field(default_factory=list)
    file_type: str = "F16"  # "F32", "F16" or "BF16": the type of the 2-D weights
