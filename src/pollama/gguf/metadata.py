"""GGUF metadata as Ollama reports it: details, config fields, model_info, tensors, capabilities.

`read_gguf` validates a file (see `gguf.parse`) and digests its metadata into a `GGUFInfo`; the
other functions turn one into the shapes of `/api/tags`, `/api/show` and the config blob
(Ollama's ConfigV2), and the capabilities the GGUF keys reveal.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, TypeVar, cast

from gguf.constants import LlamaFileType

from pollama.gguf.parse import GGUFError, TensorInfo, parse_gguf

T = TypeVar("T")

__all__ = [
    "GGUFError",
    "GGUFInfo",
    "LayerKind",
    "TensorInfo",
    "capabilities",
    "config_fields",
    "details",
    "file_type_name",
    "human_number",
    "layer_kind",
    "load_problems",
    "model_info",
    "read_gguf",
    "tensor_list",
]

LayerKind = Literal["model", "adapter", "projector"]

# Keys /api/show leaves out of model_info.
_HIDDEN_KEYS = ("general.name", "tokenizer.chat_template")
# Arrays longer than this are shown as [] unless verbose.
_MAX_SHOWN_ARRAY = 5


@dataclass(frozen=True)
class GGUFInfo:
    """What pollama knows about one GGUF file. Integers that are absent from the file are 0
    (as Ollama's KV helpers return), `chat_template`/`pooling_type` are None."""

    path: Path
    version: int
    kv: dict[str, Any]
    tensors: list[TensorInfo]
    architecture: str
    general_type: str
    file_type: str
    parameter_count: int
    context_length: int
    embedding_length: int
    block_count: int
    chat_template: str | None
    tensor_data_bytes: int
    is_adapter: bool
    is_projector: bool
    has_vision: bool
    pooling_type: int | None
    alignment: int
    data_offset: int


def derived_from_gguf(path: Path, derive: Callable[[dict[str, Any], int], T]) -> T:
    """`derive(metadata, tensor data bytes)` of the GGUF at `path`, cached while the file is
    unchanged (same size and modification time), so a load plan never parses a file twice."""
    stat = Path(path).stat()
    return cast(T, _derived(derive, str(path), stat.st_size, stat.st_mtime_ns))


@functools.lru_cache(maxsize=48)
def _derived(
    derive: Callable[[dict[str, Any], int], object], path: str, _size: int, _mtime_ns: int
) -> object:
    info = read_gguf(Path(path))
    return derive(info.kv, info.tensor_data_bytes)


def read_gguf(path: Path) -> GGUFInfo:
    """Validate and read a GGUF file's metadata (never its tensor data).

    Raises GGUFError (a 400 BadRequest) for anything that is not a well-formed GGUF file;
    OSError passes through when the file cannot be opened.
    """
    parsed = parse_gguf(Path(path))
    kv = parsed.kv
    arch = _string(kv.get("general.architecture")) or "unknown"
    general_type = _string(kv.get("general.type"))
    block_count = _uint(kv.get(f"{arch}.block_count"))
    vision_blocks = kv.get(f"{arch}.vision.block_count")
    pooling = kv.get(f"{arch}.pooling_type")
    return GGUFInfo(
        path=Path(path),
        version=parsed.version,
        kv=kv,
        tensors=parsed.tensors,
        architecture=arch,
        general_type=general_type,
        file_type=file_type_name(kv.get("general.file_type")),
        parameter_count=sum(t.n_elements for t in parsed.tensors),
        context_length=_uint(kv.get(f"{arch}.context_length")),
        embedding_length=_uint(kv.get(f"{arch}.embedding_length")),
        block_count=block_count,
        chat_template=_string(kv.get("tokenizer.chat_template")) or None,
        tensor_data_bytes=sum(t.n_bytes for t in parsed.tensors),
        is_adapter=general_type == "adapter",
        is_projector=_is_projector(kv, arch, general_type, block_count),
        has_vision=vision_blocks is not None,
        pooling_type=pooling
        if isinstance(pooling, int) and not isinstance(pooling, bool)
        else None,
        alignment=parsed.alignment,
        data_offset=parsed.data_offset,
    )


def _is_projector(kv: dict[str, Any], arch: str, general_type: str, block_count: int) -> bool:
    """Ollama's rule: a declared projector, a vision tower without text blocks, or a CLIP file
    with a vision/audio encoder and no text blocks."""
    if general_type in ("projector", "mmproj"):
        return True
    if block_count == 0 and _uint(kv.get(f"{arch}.vision.block_count")) > 0:
        return True
    encoders = (kv.get(f"{arch}.has_vision_encoder"), kv.get(f"{arch}.has_audio_encoder"))
    return arch == "clip" and block_count == 0 and any(e is True for e in encoders)


def _string(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _uint(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    return 0


def file_type_name(value: Any) -> str:
    """llama.cpp's ftype name of `general.file_type` ("Q4_K_M"); "unknown" when absent or not
    a known ftype. (Ollama also says "unknown" for 0; pollama says "F32".)"""
    if isinstance(value, bool) or not isinstance(value, int):
        return "unknown"
    if value == 4:
        return "MXFP4"  # Ollama reuses the retired Q4_1_SOME_F16 slot
    try:
        ftype = LlamaFileType(value)
    except ValueError:
        return "unknown"
    if ftype == LlamaFileType.GUESSED:
        return "unknown"
    return ftype.name.removeprefix("ALL_").removeprefix("MOSTLY_")


def human_number(n: int) -> str:
    """Ollama's format.HumanNumber: 268.10M, 8.0B, 7B, 135K, 999."""
    for scale, suffix, decimals in ((1e9, "B", 1), (1e6, "M", 2)):
        if n >= scale:
            number = n / scale
            if number == math.floor(number):
                return f"{number:.0f}{suffix}"
            return f"{number:.{decimals}f}{suffix}"
    if n >= 1e3:
        return f"{n / 1e3:.0f}K"
    return str(n)


def details(info: GGUFInfo) -> dict[str, Any]:
    """The `details` object of /api/tags and /api/show for a model made of this one file."""
    return {
        "parent_model": "",
        "format": "gguf",
        "family": info.architecture,
        "families": [info.architecture],
        "parameter_size": human_number(info.parameter_count),
        "quantization_level": info.file_type,
    }


def config_fields(info: GGUFInfo) -> dict[str, Any]:
    """This file's part of the config blob (ConfigV2). `context_length` and `embedding_length` are
    left out when the file does not say (Go's omitempty)."""
    fields: dict[str, Any] = {
        "model_format": "gguf",
        "model_family": info.architecture,
        "model_families": [info.architecture],
        "model_type": human_number(info.parameter_count),
        "file_type": info.file_type,
    }
    if info.context_length:
        fields["context_length"] = info.context_length
    if info.embedding_length:
        fields["embedding_length"] = info.embedding_length
    return fields


def model_info(info: GGUFInfo, *, verbose: bool = False) -> dict[str, Any]:
    """`/api/show` `model_info`: every KV pair but the name and chat template, keys sorted (Go
    marshals maps sorted), `general.parameter_count` computed from the tensors, and arrays of
    more than 5 items emptied unless `verbose`."""
    out: dict[str, Any] = {}
    for key in sorted({*info.kv, "general.parameter_count"}):
        if key in _HIDDEN_KEYS:
            continue
        if key == "general.parameter_count":
            out[key] = info.parameter_count
            continue
        value = info.kv[key]
        if isinstance(value, list):
            value = list(value) if verbose or len(value) <= _MAX_SHOWN_ARRAY else []
        out[key] = value
    return out


def tensor_list(info: GGUFInfo) -> list[dict[str, Any]]:
    """`/api/show` `tensors`: name, type name and shape (file order) of every tensor."""
    return [{"name": t.name, "type": t.type, "shape": list(t.shape)} for t in info.tensors]


def capabilities(info: GGUFInfo) -> list[str]:
    """The capabilities the GGUF itself shows: embedding (it has a pooling type) or completion,
    plus vision."""
    arch = info.architecture
    found = ["embedding" if f"{arch}.pooling_type" in info.kv else "completion"]
    if info.has_vision:
        found.append("vision")
    return found


def layer_kind(info: GGUFInfo) -> LayerKind:
    """Which manifest layer a GGUF given to create becomes: adapter, projector or model."""
    if info.is_adapter:
        return "adapter"
    if info.is_projector:
        return "projector"
    return "model"


def load_problems(info: GGUFInfo) -> list[str]:
    """What this file lacks that llama.cpp needs to load it as the layer it would become,
    e.g. `["no tensors", "missing general.architecture"]`; empty when nothing is known to be
    missing. For a model: tensors, the architecture, `<arch>.block_count`, `.context_length`,
    `.embedding_length` and a tokenizer model (llama.cpp reads each as a required key); for an
    adapter, also `adapter.type`. Whether the architecture is one llama.cpp knows is left to the
    load: the gguf package's list need not match the engine's."""
    problems = [] if info.tensors else ["no tensors"]
    arch = _string(info.kv.get("general.architecture"))
    keys = [] if arch else ["general.architecture"]
    kind = layer_kind(info)
    if kind == "model":
        if arch:
            for suffix in ("block_count", "context_length", "embedding_length"):
                if not _uint(info.kv.get(f"{arch}.{suffix}")):
                    keys.append(f"{arch}.{suffix}")
        if not _string(info.kv.get("tokenizer.ggml.model")):
            keys.append("tokenizer.ggml.model")
    elif kind == "adapter" and not _string(info.kv.get("adapter.type")):
        keys.append("adapter.type")
    if keys:
        problems.append("missing " + ", ".join(keys))
    return problems


def written_file_problem(path: Path) -> str | None:
    """Why a GGUF that a child process (quantize, convert) says it wrote cannot be stored as a
    model layer, or None when it can."""
    try:
        info = read_gguf(path)
    except (GGUFError, OSError) as exc:
        return f"the result is not a GGUF: {exc}"
    return "; ".join(load_problems(info)) or None
