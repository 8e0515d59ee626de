"""A Hugging Face model directory planned as a GGUF (Ollama's convert.ConvertModel).

Planning reads config.json, the tokenizer files and the safetensors headers only, and refuses
everything it can before a byte is written: an unsupported architecture, a missing or
misshapen tensor, a tensor the architecture does not have, an unsupported dtype.

Output types: 1-D tensors (norms, biases, rope factors) are F32, as llama.cpp wants them;
2-D weights keep the checkpoint's dtype (F32, F16 or BF16). A checkpoint mixing dtypes in its
2-D weights is written in the dtype holding most of their parameters (ties go to the wider:
F32, then BF16, then F16), which is also the file type. The embedding matrix keeps all its
rows: the tokenizer's vocabulary is padded to `vocab_size` instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np

from pollama.convert.architectures.base import Architecture, ExpectedTensor, text
from pollama.convert.architectures.registry import architecture_for
from pollama.convert.errors import ConvertError
from pollama.convert.hfconfig import HFConfig
from pollama.convert.plan import ConversionPlan, OutputType, PlannedTensor
from pollama.convert.safetensors_source import SafetensorsSource, from_float32, to_float32

_INDEX_FILE = "model.safetensors.index.json"
_WIDER_FIRST: tuple[OutputType, ...] = ("F32", "BF16", "F16")


def plan_model(directory: Path) -> ConversionPlan:
    from pollama.convert.tokenizer import tokenizer_metadata

    raw_config = HFConfig.load(directory)
    architecture = architecture_for(raw_config)
    config = architecture.resolve(raw_config)
    architecture.check_activation(config)
    source = SafetensorsSource.open(model_files(directory))
    by_gguf_name = _source_names(architecture, source)
    if not config.has("vocab_size") and "token_embd.weight" in by_gguf_name:
        rows = source.shape(by_gguf_name["token_embd.weight"])[0]
        config = config.with_values(vocab_size=rows)
    expected = architecture.expected_tensors(config)
    _check_tensors(architecture, config, source, by_gguf_name, expected)
    file_type = _file_type(source, by_gguf_name, expected)

    tensors = [
        PlannedTensor(extra.name, extra.values.shape, "F32", _constant(extra.values))
        for extra in architecture.generated_tensors(config)
    ]
    for tensor in expected:
        name = by_gguf_name[tensor.gguf_name]
        dtype: OutputType = file_type if len(tensor.shape) >= 2 else "F32"
        load = _loader(architecture, config, source, name, tensor.gguf_name, dtype)
        tensors.append(PlannedTensor(tensor.gguf_name, tensor.shape, dtype, load))

    label = model_name(raw_config, directory)
    metadata = [
        text("general.architecture", architecture.gguf_architecture),
        text("general.type", "model"),
        *([text("general.name", label)] if label else []),
        *architecture.metadata(config),
        *tokenizer_metadata(directory, config.integer("vocab_size")),
    ]
    return ConversionPlan(architecture.gguf_architecture, metadata, tensors, file_type)


def model_files(directory: Path) -> list[Path]:
    """The checkpoint's safetensors files: `model*.safetensors` at the top, else one folder
    down. Mistral's own `consolidated.safetensors` layout is refused (its tensor names differ;
    the Hugging Face files beside it are what is converted)."""
    files = sorted(directory.glob("model*.safetensors")) or sorted(
        directory.glob("*/model*.safetensors")
    )
    if not files:
        if any(directory.glob("consolidated*.safetensors")):
            raise ConvertError(
                "consolidated.safetensors: Mistral's own checkpoint format is not supported, "
                "only the Hugging Face one (model*.safetensors)"
            )
        raise ConvertError("no model*.safetensors files in the model directory")
    _check_index(directory, files)
    return files


def model_name(config: HFConfig, directory: Path) -> str | None:
    """`_name_or_path`'s last part (e.g. "Llama-3.2-1B"), else the directory's name; None when
    neither says anything (the upload's staging folder is a hidden temporary one)."""
    name = config.get("_name_or_path")
    if isinstance(name, str) and name.strip("/"):
        return name.rstrip("/").rsplit("/", 1)[-1]
    folder = directory.resolve().name
    return None if folder.startswith(".") else folder


def _check_index(directory: Path, files: list[Path]) -> None:
    index = directory / _INDEX_FILE
    if not index.is_file():
        return
    try:
        weight_map = json.loads(index.read_text(encoding="utf-8")).get("weight_map", {})
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError) as exc:
        raise ConvertError(f"{_INDEX_FILE}: unreadable: {exc}") from exc
    present = {path.name for path in files}
    for listed in sorted(set(weight_map.values()) if isinstance(weight_map, dict) else ()):
        if isinstance(listed, str) and Path(listed).name not in present:
            raise ConvertError(f"{listed}: listed in {_INDEX_FILE} but missing")


def _source_names(architecture: Architecture, source: SafetensorsSource) -> dict[str, str]:
    """GGUF name → checkpoint name for every tensor kept (refusing unknown ones)."""
    by_gguf_name: dict[str, str] = {}
    for name in source.names():
        gguf_name = architecture.tensor_name(name)
        if gguf_name is None:
            continue
        if gguf_name in by_gguf_name:
            raise ConvertError(f"{name}: the same tensor as {by_gguf_name[gguf_name]}")
        by_gguf_name[gguf_name] = name
    return by_gguf_name


def _check_tensors(
    architecture: Architecture,
    config: HFConfig,
    source: SafetensorsSource,
    by_gguf_name: dict[str, str],
    expected: list[ExpectedTensor],
) -> None:
    wanted = {tensor.gguf_name for tensor in expected}
    for gguf_name, name in by_gguf_name.items():
        if gguf_name in wanted:
            continue
        if gguf_name == "output.weight" and architecture.tied(config):
            continue  # a saved copy of the tied embeddings
        raise ConvertError(f"{name}: unexpected tensor (config.json does not call for it)")
    for tensor in expected:
        found = by_gguf_name.get(tensor.gguf_name)
        if found is None:
            raise ConvertError(f"missing tensor {tensor.hf_name}")
        shape = source.shape(found)
        if shape != tensor.shape:
            raise ConvertError(f"{found}: shape {shape}, expected {tensor.shape}")
        source.dtype(found)  # refuses an unsupported dtype


def _file_type(
    source: SafetensorsSource, by_gguf_name: dict[str, str], expected: list[ExpectedTensor]
) -> OutputType:
    counts: dict[OutputType, int] = {}
    for tensor in expected:
        if len(tensor.shape) >= 2:
            dtype = source.dtype(by_gguf_name[tensor.gguf_name])
            counts[dtype] = counts.get(dtype, 0) + math.prod(tensor.shape)
    if not counts:
        return "F16"
    return max(_WIDER_FIRST, key=lambda dtype: (counts.get(dtype, 0), -_WIDER_FIRST.index(dtype)))


def _loader(
    architecture: Architecture,
    config: HFConfig,
    source: SafetensorsSource,
    name: str,
    gguf_name: str,
    dtype: OutputType,
) -> Callable[[], np.ndarray]:
    source_dtype = source.dtype(name)
    transforms = architecture.transforms(gguf_name)

    def load() -> np.ndarray:
        array = source.read(name)
        if not transforms and source_dtype == dtype:
            return array
        values = to_float32(array, source_dtype)
        del array
        if transforms:
            values = architecture.transform(gguf_name, values, config)
        return from_float32(values, dtype)

    return load


def _constant(values: np.ndarray) -> Callable[[], np.ndarray]:
    array = np.ascontiguousarray(values, dtype=np.float32)
    return lambda: array
