"""PEFT LoRA adapter directories for the import tests, and the same adapter written by hand as
a GGUF LoRA.

A PEFT directory holds `adapter_config.json` and `adapter_model.safetensors`, whose tensors are
`base_model.model.<module>.lora_A.weight` of shape (r, in) and `.lora_B.weight` of shape
(out, r); PEFT adds (lora_alpha / r) * B @ A to the module's weight. The hand-made GGUF keeps
the numpy shapes ((r, in) and (out, r), i.e. ne [in, r] and [r, out], as llama.cpp wants) under
`<gguf tensor>.lora_a` / `.lora_b`, with the names mapped here independently of the importer.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
from safetensors.numpy import save_file

from tests.fixtures.lora import save_lora

RANK = 4
ALPHA = 8.0
TARGETS = ("q_proj", "v_proj", "down_proj")
PREFIX = "base_model.model."

# Hugging Face module (after `model.layers.N.`) → GGUF tensor (after `blk.N.`).
_GGUF_MODULES = {
    "self_attn.q_proj": "attn_q",
    "self_attn.k_proj": "attn_k",
    "self_attn.v_proj": "attn_v",
    "self_attn.o_proj": "attn_output",
    "mlp.gate_proj": "ffn_gate",
    "mlp.up_proj": "ffn_up",
    "mlp.down_proj": "ffn_down",
}

# A LoRA pair per module path: (lora_A (r, in), lora_B (out, r)).
LoraWeights = dict[str, tuple[np.ndarray, np.ndarray]]


def module_shapes(config: dict[str, Any]) -> dict[str, tuple[int, int]]:
    """(out, in) of each linear module of one decoder layer, from a Hugging Face config."""
    hidden = int(config["hidden_size"])
    heads = int(config["num_attention_heads"])
    kv_heads = int(config.get("num_key_value_heads", heads))
    head_dim = int(config.get("head_dim") or hidden // heads)
    ff = int(config["intermediate_size"])
    return {
        "self_attn.q_proj": (heads * head_dim, hidden),
        "self_attn.k_proj": (kv_heads * head_dim, hidden),
        "self_attn.v_proj": (kv_heads * head_dim, hidden),
        "self_attn.o_proj": (hidden, heads * head_dim),
        "mlp.gate_proj": (ff, hidden),
        "mlp.up_proj": (ff, hidden),
        "mlp.down_proj": (hidden, ff),
    }


def random_lora(
    config: dict[str, Any],
    seed: int,
    *,
    targets: tuple[str, ...] = TARGETS,
    layers: range | None = None,
    rank: int = RANK,
    scale: float = 0.06,
) -> LoraWeights:
    """Random LoRA pairs over `targets` of `layers` (all of them by default)."""
    rng = np.random.default_rng(seed)
    shapes = module_shapes(config)
    weights: LoraWeights = {}
    for layer in layers if layers is not None else range(int(config["num_hidden_layers"])):
        for module, (n_out, n_in) in shapes.items():
            if module.rsplit(".", 1)[1] not in targets:
                continue
            lora_a = rng.normal(0.0, scale, (rank, n_in)).astype(np.float32)
            lora_b = rng.normal(0.0, scale, (n_out, rank)).astype(np.float32)
            weights[f"model.layers.{layer}.{module}"] = (lora_a, lora_b)
    return weights


def adapter_config(**changes: Any) -> dict[str, Any]:
    """An adapter_config.json as PEFT writes it for a LoRA; `changes` override keys (a value of
    None removes the key)."""
    config: dict[str, Any] = {
        "alpha_pattern": {},
        "auto_mapping": None,
        "base_model_name_or_path": "google/gemma-3-270m",
        "bias": "none",
        "fan_in_fan_out": False,
        "inference_mode": True,
        "init_lora_weights": True,
        "layers_pattern": None,
        "layers_to_transform": None,
        "lora_alpha": ALPHA,
        "lora_dropout": 0.05,
        "modules_to_save": None,
        "peft_type": "LORA",
        "r": RANK,
        "rank_pattern": {},
        "revision": None,
        "target_modules": list(TARGETS),
        "task_type": "CAUSAL_LM",
        "use_dora": False,
        "use_rslora": False,
    }
    for key, value in changes.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    return config


def write_peft_adapter(
    directory: Path,
    weights: LoraWeights,
    config: dict[str, Any] | None = None,
    *,
    extra_tensors: dict[str, np.ndarray] | None = None,
) -> Path:
    """A PEFT adapter directory with `weights` (and any `extra_tensors`, by full name)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "adapter_config.json").write_text(json.dumps(config or adapter_config()))
    tensors = dict(extra_tensors or {})
    for module, (lora_a, lora_b) in weights.items():
        tensors[f"{PREFIX}{module}.lora_A.weight"] = lora_a
        tensors[f"{PREFIX}{module}.lora_B.weight"] = lora_b
    save_file(tensors, str(directory / "adapter_model.safetensors"), metadata={"format": "pt"})
    return directory


def gguf_name(module: str) -> str:
    """`model.layers.N.<module>` → `blk.N.<gguf module>.weight`."""
    _, _, layer, rest = module.split(".", 3)
    return f"blk.{layer}.{_GGUF_MODULES[rest]}.weight"


def write_gguf_lora(
    path: Path, weights: LoraWeights, *, architecture: str = "gemma3", alpha: float = ALPHA
) -> Path:
    """The same adapter as a GGUF LoRA, written directly with the gguf package."""
    pairs = {gguf_name(module): pair for module, pair in weights.items()}
    return save_lora(path, pairs, architecture=architecture, alpha=alpha)
