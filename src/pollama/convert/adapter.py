"""A PEFT LoRA adapter directory planned as a GGUF LoRA for an already converted base model.

PEFT saves `adapter_config.json` and `adapter_model.safetensors`, whose tensors are
`base_model.model.<module>.lora_A.weight` of shape (r, in) and `.lora_B.weight` of shape
(out, r); the module's weight becomes W + (lora_alpha / r) * B @ A. llama.cpp applies a GGUF
LoRA the same way (scale alpha / rank, the rank being lora_b's ne[0]), with the pair stored
as `<base tensor>.lora_a` (numpy (r, in), ne [in, r]) and `.lora_b` (numpy (out, r), ne [r, out])
(llama.cpp's convert_lora_to_gguf.py and llama_adapter_lora_init_impl). So the matrices are
kept as they are, in their own dtype, under the base tensor's GGUF name; only B goes through
the architecture's transform, since its rows are the weight's rows (the llama q/k rotary
permutation). The base is known by its GGUF metadata alone: its dimensions stand in for the
Hugging Face config the architecture reads.

What llama.cpp cannot reproduce is refused: DoRA, rank-stabilized scaling, trained biases,
per-module alphas, fully trained modules (`modules_to_save`), and adapters on the embeddings
or the output projection.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGUFValueType

from pollama.convert.architectures.base import Architecture
from pollama.convert.architectures.registry import architecture_for_gguf
from pollama.convert.errors import ConvertError
from pollama.convert.hfconfig import HFConfig
from pollama.convert.jsonfiles import required_json_object
from pollama.convert.plan import KV, ConversionPlan, OutputType, PlannedTensor
from pollama.convert.safetensors_source import SafetensorsSource, from_float32, to_float32

CONFIG_FILE = "adapter_config.json"
WEIGHTS_FILE = "adapter_model.safetensors"
_PREFIX = "base_model.model."
_SUFFIXES = {".lora_A.weight": "A", ".lora_B.weight": "B"}
# Base tensors a LoRA over which llama.cpp would not apply as PEFT does.
_UNSUPPORTED_TARGETS = ("embed_tokens", "lm_head")
_UNSUPPORTED_GGUF = ("token_embd.weight", "output.weight")
# adapter_config.json settings with no GGUF equivalent, and the value that is fine.
_MUST_BE_FALSE = ("use_dora", "use_rslora", "fan_in_fan_out", "lora_bias")
_MUST_BE_EMPTY = (
    "modules_to_save",
    "alpha_pattern",
    "layer_replication",
    "target_parameters",
    "trainable_token_indices",
)


@dataclass(frozen=True)
class LoraConfig:
    rank: int
    alpha: float
    # Whether every pair must have rank `rank` (a `rank_pattern` gives some modules another
    # rank; llama.cpp scales each pair by alpha over its own rank, as PEFT does then).
    uniform_rank: bool
    base_model: str | None  # `base_model_name_or_path`'s last part ("gemma-3-270m")


def plan_adapter(directory: Path, base_kv: dict[str, Any]) -> ConversionPlan:
    """Plan the GGUF LoRA of the PEFT adapter in `directory`, for the base model whose GGUF
    metadata is `base_kv`; ConvertError for anything that cannot be converted or does not fit
    the base."""
    lora = read_lora_config(directory)
    architecture = _architecture(base_kv)
    config = base_config(base_kv)
    source = _open_weights(directory)
    shapes = {t.hf_name: (t.gguf_name, t.shape) for t in architecture.expected_tensors(config)}
    tensors: list[PlannedTensor] = []
    for module, (a_name, b_name) in _pairs(source).items():
        weight = architecture.canonical_name(f"{module}.weight")
        if weight is None or weight not in shapes:
            raise ConvertError(f"{a_name}: the base model has no tensor {module}.weight")
        gguf_name, shape = shapes[weight]
        if gguf_name in _UNSUPPORTED_GGUF or len(shape) != 2:
            raise ConvertError(f"{a_name}: a LoRA on {weight} is not supported")
        _check_shapes(source, a_name, b_name, shape, lora)
        tensors.append(_planned(source, a_name, f"{gguf_name}.lora_a", _as_read))
        transform = _transformed(architecture, gguf_name, config)
        tensors.append(_planned(source, b_name, f"{gguf_name}.lora_b", transform))
    name = adapter_name(directory, lora)
    metadata = [
        KV("general.type", "adapter", GGUFValueType.STRING),
        KV("general.name", name, GGUFValueType.STRING),
        KV("adapter.type", "lora", GGUFValueType.STRING),
        KV("adapter.lora.alpha", lora.alpha, GGUFValueType.FLOAT32),
    ]
    return ConversionPlan(
        architecture=architecture.gguf_architecture,
        metadata=metadata,
        tensors=tensors,
        file_type=tensors[0].dtype,
    )


def read_lora_config(directory: Path) -> LoraConfig:
    """The settings of `adapter_config.json` that matter, refusing what cannot be converted."""
    values = required_json_object(directory / CONFIG_FILE, "no such file in the adapter directory")
    peft_type = values.get("peft_type")
    if peft_type is None:
        raise ConvertError(f'{CONFIG_FILE}: missing "peft_type"')
    if peft_type != "LORA":
        raise ConvertError(
            f'{CONFIG_FILE}: "peft_type" {json.dumps(peft_type)} is not supported (only LORA)'
        )
    for key in _MUST_BE_FALSE:
        if values.get(key):
            raise ConvertError(f'{CONFIG_FILE}: "{key}" true is not supported')
    for key in _MUST_BE_EMPTY:
        if values.get(key):
            raise ConvertError(f'{CONFIG_FILE}: "{key}" {json.dumps(values[key])} is not supported')
    bias = values.get("bias", "none")
    if bias != "none":
        raise ConvertError(
            f'{CONFIG_FILE}: "bias" {json.dumps(bias)} is not supported (only "none")'
        )
    rank = _required(values, "r")
    if isinstance(rank, bool) or not isinstance(rank, int) or rank <= 0:
        raise ConvertError(f'{CONFIG_FILE}: "r" is {json.dumps(rank)}, expected a positive integer')
    alpha = _required(values, "lora_alpha")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)):
        raise ConvertError(f'{CONFIG_FILE}: "lora_alpha" is {json.dumps(alpha)}, expected a number')
    _check_targets(_required(values, "target_modules"))
    base = values.get("base_model_name_or_path")
    base_name = base.rstrip("/").rsplit("/", 1)[-1] if isinstance(base, str) else ""
    return LoraConfig(
        rank=rank,
        alpha=float(alpha),
        uniform_rank=not values.get("rank_pattern"),
        base_model=base_name or None,
    )


def adapter_name(directory: Path, lora: LoraConfig) -> str:
    """general.name: the directory's name, unless it is a hidden staging folder (uploaded
    files), then the base model's name with " LoRA"."""
    name = directory.resolve().name
    if name and not name.startswith("."):
        return name
    return f"{lora.base_model} LoRA" if lora.base_model else "LoRA adapter"


def base_config(base_kv: dict[str, Any]) -> HFConfig:
    """The Hugging Face config values the architecture needs, from the base's GGUF metadata
    (head_dim defaults to embedding / heads when key_length is absent, as llama.cpp's loader
    does). The embeddings are taken as tied: they are not an adapter's concern."""
    arch = _architecture_name(base_kv)

    def integer(key: str, default: int | None = None) -> int:
        value = base_kv.get(f"{arch}.{key}", default)
        if isinstance(value, bool) or not isinstance(value, int):
            shown = "missing" if value is None else f"not an integer: {value!r}"
            raise ConvertError(f"the base model's {arch}.{key} is {shown}")
        return value

    heads = integer("attention.head_count")
    values: dict[str, Any] = {
        "hidden_size": integer("embedding_length"),
        "num_hidden_layers": integer("block_count"),
        "num_attention_heads": heads,
        "num_key_value_heads": integer("attention.head_count_kv", heads),
        "intermediate_size": integer("feed_forward_length"),
        "vocab_size": len(base_kv.get("tokenizer.ggml.tokens") or ()) or integer("vocab_size", 1),
        "tie_word_embeddings": True,
    }
    if f"{arch}.attention.key_length" in base_kv:
        values["head_dim"] = integer("attention.key_length")
    return HFConfig(values, source="the base model")


def _architecture_name(base_kv: dict[str, Any]) -> str:
    arch = base_kv.get("general.architecture")
    if not isinstance(arch, str) or not arch:
        raise ConvertError("the base model has no general.architecture")
    return arch


def _architecture(base_kv: dict[str, Any]) -> Architecture:
    arch = _architecture_name(base_kv)
    architecture = architecture_for_gguf(arch)
    if architecture is None:
        raise ConvertError(
            f'unsupported base model architecture "{arch}" for a safetensors adapter'
        )
    return architecture


def _required(values: dict[str, Any], key: str) -> Any:
    if values.get(key) is None:
        raise ConvertError(f'{CONFIG_FILE}: missing "{key}"')
    return values[key]


def _check_targets(targets: Any) -> None:
    """`target_modules` is a list of module names or one string (a regular expression, or
    "all-linear", which PEFT never applies to the output projection)."""
    if isinstance(targets, str):
        names = [] if targets == "all-linear" else re.findall(r"[A-Za-z_][A-Za-z0-9_]*", targets)
    elif isinstance(targets, list) and targets and all(isinstance(t, str) for t in targets):
        names = [target.rsplit(".", 1)[-1] for target in targets]
    else:
        raise ConvertError(
            f'{CONFIG_FILE}: "target_modules" is {json.dumps(targets)}, '
            "expected a list of module names"
        )
    for name in names:
        if name in _UNSUPPORTED_TARGETS:
            raise ConvertError(
                f'{CONFIG_FILE}: "target_modules" {json.dumps(name)} is not supported '
                "(only the linear layers of the decoder)"
            )


def _open_weights(directory: Path) -> SafetensorsSource:
    path = directory / WEIGHTS_FILE
    if not path.is_file():
        if (directory / "adapter_model.bin").is_file():
            raise ConvertError("adapter_model.bin: only safetensors adapters can be converted")
        raise ConvertError(f"{WEIGHTS_FILE}: no such file in the adapter directory")
    return SafetensorsSource.open([path])


def _pairs(source: SafetensorsSource) -> dict[str, tuple[str, str]]:
    """Each adapted module (its Hugging Face path) and the names of its lora_A and lora_B."""
    halves: dict[str, dict[str, str]] = {}
    for name in source.names():
        suffix = next((s for s in _SUFFIXES if name.endswith(s)), None)
        if suffix is None or not name.startswith(_PREFIX):
            raise ConvertError(f"{name}: {_not_lora(name)}")
        module = name[len(_PREFIX) : -len(suffix)]
        halves.setdefault(module, {})[_SUFFIXES[suffix]] = name
    if not halves:
        raise ConvertError(f"{WEIGHTS_FILE}: no LoRA tensors")
    pairs = {}
    for module, half in halves.items():
        if "A" not in half or "B" not in half:
            missing = "lora_B" if "A" in half else "lora_A"
            raise ConvertError(f"{next(iter(half.values()))}: {module} has no {missing}")
        pairs[module] = (half["A"], half["B"])
    return pairs


def _not_lora(name: str) -> str:
    if "lora_embedding_" in name or name.endswith(("embed_tokens.weight", "lm_head.weight")):
        return "adapters on the embeddings or the output are not supported"
    if "lora_magnitude_vector" in name:
        return "DoRA adapters are not supported"
    return f"not a LoRA tensor (expected {_PREFIX}<module>.lora_A.weight or .lora_B.weight)"


def _check_shapes(
    source: SafetensorsSource,
    a_name: str,
    b_name: str,
    weight_shape: tuple[int, ...],
    lora: LoraConfig,
) -> None:
    """lora_A must be (r, in) and lora_B (out, r) over the base weight's (out, in)."""
    n_out, n_in = weight_shape
    a_shape, b_shape = source.shape(a_name), source.shape(b_name)
    if len(a_shape) != 2:
        raise ConvertError(f"{a_name}: shape {a_shape}, expected (r, {n_in})")
    rank = a_shape[0] if not lora.uniform_rank else lora.rank
    if a_shape != (rank, n_in):
        raise ConvertError(f"{a_name}: shape {a_shape}, expected {(rank, n_in)}")
    if b_shape != (n_out, rank):
        raise ConvertError(f"{b_name}: shape {b_shape}, expected {(n_out, rank)}")


def _as_read(array: np.ndarray, dtype: OutputType) -> np.ndarray:
    return array


def _transformed(
    architecture: Architecture, gguf_name: str, config: HFConfig
) -> Callable[[np.ndarray, OutputType], np.ndarray]:
    if not architecture.transforms(gguf_name):
        return _as_read

    def transform(array: np.ndarray, dtype: OutputType) -> np.ndarray:
        changed = architecture.transform(gguf_name, to_float32(array, dtype), config)
        return from_float32(changed, dtype)

    return transform


def _planned(
    source: SafetensorsSource,
    name: str,
    gguf_name: str,
    convert: Callable[[np.ndarray, OutputType], np.ndarray],
) -> PlannedTensor:
    dtype = source.dtype(name)
    return PlannedTensor(
        name=gguf_name,
        shape=source.shape(name),
        dtype=dtype,
        load=lambda: convert(source.read(name), dtype),
    )
