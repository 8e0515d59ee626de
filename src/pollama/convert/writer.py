"""A ConversionPlan written as one GGUF file, streaming.

The header, metadata and every tensor's info go first (all known from the plan); then each
tensor is loaded right before its data is written and dropped right after, so memory holds at
most one tensor however large the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from gguf import (
    GGML_QUANT_VERSION,
    GGMLQuantizationType,
    GGUFValueType,
    GGUFWriter,
    LlamaFileType,
)
from gguf.gguf_writer import WriterState

from pollama.convert.plan import KV, ConversionPlan, OutputType, PlannedTensor

_ARRAY_DTYPES: dict[OutputType, np.dtype[Any]] = {
    "F32": np.dtype(np.float32),
    "F16": np.dtype(np.float16),
    "BF16": np.dtype(np.uint16),  # bit patterns
}
_GGML_TYPES = {
    "F32": GGMLQuantizationType.F32,
    "F16": GGMLQuantizationType.F16,
    "BF16": GGMLQuantizationType.BF16,
}
FILE_TYPES = {
    "F32": LlamaFileType.ALL_F32,
    "F16": LlamaFileType.MOSTLY_F16,
    "BF16": LlamaFileType.MOSTLY_BF16,
}
# Keys the writer owns: whatever the plan says about them is replaced.
_WRITER_KEYS = ("general.architecture", "general.file_type", "general.quantization_version")


def write_plan(
    plan: ConversionPlan,
    output: Path,
    progress: Callable[[int, int], None] | None = None,
) -> None:
    """Write `plan` to `output`; `progress(done, total)` is called after each tensor (counts of
    tensors). A partial file is removed when anything fails."""
    writer = GGUFWriter(output, plan.architecture)
    try:
        _write(writer, plan, output, progress)
    except BaseException:
        opened = writer.state is not WriterState.NO_FILE
        writer.close()
        if opened:
            output.unlink(missing_ok=True)
        raise
    writer.close()


def _write(
    writer: GGUFWriter,
    plan: ConversionPlan,
    output: Path,
    progress: Callable[[int, int], None] | None,
) -> None:
    for kv in _metadata(plan):
        writer.add_key_value(kv.key, kv.value, kv.type, kv.sub_type)
    for tensor in plan.tensors:
        dtype = _ARRAY_DTYPES[tensor.dtype]
        writer.add_tensor_info(
            tensor.name,
            tensor.shape,
            dtype,
            math.prod(tensor.shape) * dtype.itemsize,
            raw_dtype=_GGML_TYPES[tensor.dtype],
        )
    writer.write_header_to_file(path=output)
    writer.write_kv_data_to_file()
    writer.write_ti_data_to_file()
    total = len(plan.tensors)
    for done, tensor in enumerate(plan.tensors, start=1):
        writer.write_tensor_data(_loaded(tensor))
        if progress is not None:
            progress(done, total)


def _metadata(plan: ConversionPlan) -> list[KV]:
    """The plan's metadata, last value of a key winning, plus the keys the writer owns."""
    entries = {kv.key: kv for kv in plan.metadata if kv.key not in _WRITER_KEYS}
    file_type = FILE_TYPES[plan.file_type]
    return [
        *entries.values(),
        KV("general.file_type", int(file_type), GGUFValueType.UINT32),
        KV("general.quantization_version", GGML_QUANT_VERSION, GGUFValueType.UINT32),
    ]


def _loaded(tensor: PlannedTensor) -> np.ndarray:
    array = tensor.load()
    expected = _ARRAY_DTYPES[tensor.dtype]
    if tuple(array.shape) != tuple(tensor.shape) or array.dtype != expected:
        raise ValueError(
            f"{tensor.name}: loaded {array.dtype} {tuple(array.shape)}, "
            f"planned {expected} {tuple(tensor.shape)}"
        )
    return np.ascontiguousarray(array)
