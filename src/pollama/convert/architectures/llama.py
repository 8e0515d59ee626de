"""LlamaForCausalLM (Llama 2 and 3) and MistralForCausalLM → GGUF "llama".

Facts from llama.cpp's convert_hf_to_gguf.py (LlamaModel) and its llama model loader:
- Hugging Face stores q/k rows per head as [all real halves, all imaginary halves] (rotate_half
  RoPE); llama.cpp's "llama" rope is the interleaved (GPT-J) kind, so the rows of q_proj and
  k_proj (weights and biases) are permuted per head: row 2i ← i, row 2i+1 ← i + head_dim/2.
- `rope_scaling` of type "llama3" becomes a `rope_freqs.weight` tensor of per-frequency
  divisors, computed from the config as the converter does; linear and YaRN become keys.
- `rope.dimension_count` must equal the head length; `vocab_size` is recorded.
- Mistral's `sliding_window` is not recorded: the "llama" architecture has no sliding window
  (as with llama.cpp's converter).
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from pollama.convert.architectures.base import (
    COMMON_LAYER_NAMES,
    Architecture,
    Dimensions,
    GeneratedTensor,
    attention_shapes,
    f32,
    gated_mlp_shapes,
    u32,
    vocab_size,
)
from pollama.convert.architectures.rope import Rope, scaling_metadata
from pollama.convert.hfconfig import HFConfig
from pollama.convert.plan import KV

ROPE_FREQS = "rope_freqs.weight"


def rotary_permutation(rows: np.ndarray, heads: int) -> np.ndarray:
    """Rows of a q/k projection (or its bias, or a LoRA B matrix) reordered per head from
    Hugging Face's halves layout to llama.cpp's interleaved pairs."""
    head_rows = rows.shape[0] // heads
    split = rows.reshape(heads, 2, head_rows // 2, *rows.shape[1:])
    return split.swapaxes(1, 2).reshape(rows.shape)


def llama3_rope_factors(config: HFConfig, rope: Rope, dims: Dimensions) -> np.ndarray:
    """The divisor of each rotary frequency under Llama 3's scaling: 1 for short wavelengths,
    `factor` for long ones, a smooth blend between (llama.cpp's converter,
    LlamaModel.generate_extra_tensors)."""
    params = rope.scaling
    factor = params.number("factor", 8.0)
    low = params.number("low_freq_factor", 1.0)
    high = params.number("high_freq_factor", 4.0)
    original = params.integer("original_max_position_embeddings", 8192)
    exponents = np.arange(0, dims.head_dim, 2, dtype=np.float32) / np.float32(dims.head_dim)
    freqs = np.float32(1.0) / (np.float32(rope.theta) ** exponents)
    low_wavelen, high_wavelen = original / low, original / high
    factors = []
    for freq in freqs.tolist():
        wavelen = 2 * math.pi / freq
        if wavelen < high_wavelen:
            factors.append(1.0)
        elif wavelen > low_wavelen:
            factors.append(factor)
        else:
            smooth = (original / wavelen - low) / (high - low)
            factors.append(1 / ((1 - smooth) / factor + smooth))
    return np.array(factors, dtype=np.float32)


class Llama(Architecture):
    gguf_architecture = "llama"
    layer_names: ClassVar[dict[str, str]] = {
        **COMMON_LAYER_NAMES,
        "mlp.gate_proj.bias": "ffn_gate.bias",
        "mlp.up_proj.bias": "ffn_up.bias",
        "mlp.down_proj.bias": "ffn_down.bias",
    }
    _permuted = ("attn_q.weight", "attn_q.bias", "attn_k.weight", "attn_k.bias")

    def resolve(self, config: HFConfig) -> HFConfig:
        Rope.of(config)  # refuse malformed rope settings early
        return config

    def metadata(self, config: HFConfig) -> list[KV]:
        dims = Dimensions.of(config)
        rope = Rope.of(config)
        return [
            *self.core_metadata(config),
            u32("llama.vocab_size", vocab_size(config)),
            u32("llama.rope.dimension_count", dims.head_dim),
            f32("llama.rope.freq_base", rope.theta),
            *scaling_metadata("llama", rope, config, handled=("llama3",)),
        ]

    def layer_shapes(self, config: HFConfig, dims: Dimensions) -> dict[str, tuple[int, ...]]:
        shapes: dict[str, tuple[int, ...]] = {"input_layernorm.weight": (dims.hidden,)}
        attention_bias = config.flag("attention_bias", False)
        shapes.update(attention_shapes(dims, bias=attention_bias))
        if attention_bias:
            shapes["self_attn.o_proj.bias"] = (dims.hidden,)
        shapes["post_attention_layernorm.weight"] = (dims.hidden,)
        shapes.update(gated_mlp_shapes(dims))
        if config.flag("mlp_bias", False):
            shapes["mlp.gate_proj.bias"] = (dims.feed_forward,)
            shapes["mlp.up_proj.bias"] = (dims.feed_forward,)
            shapes["mlp.down_proj.bias"] = (dims.hidden,)
        return shapes

    def generated_tensors(self, config: HFConfig) -> list[GeneratedTensor]:
        rope = Rope.of(config)
        if rope.scaling_type != "llama3":
            return []
        factors = llama3_rope_factors(config, rope, Dimensions.of(config))
        return [GeneratedTensor(ROPE_FREQS, factors)]

    def transforms(self, gguf_name: str) -> bool:
        return gguf_name.endswith(self._permuted)

    def transform(self, gguf_name: str, array: np.ndarray, config: HFConfig) -> np.ndarray:
        if not self.transforms(gguf_name):
            return array
        heads = config.integer("num_attention_heads")
        if gguf_name.endswith(("attn_k.weight", "attn_k.bias")):
            heads = config.integer("num_key_value_heads", heads)
        return rotary_permutation(array, heads)
