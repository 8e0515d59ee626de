"""Phi3ForCausalLM (Phi-3, Phi-3.5, Phi-4, Phi-4-mini) → GGUF "phi3".

Facts from llama.cpp's convert_hf_to_gguf.py (Phi3MiniModel) and its phi3 loader:
- q, k and v are one fused `qkv_proj` (rows q, then k, then v) and gate/up one fused
  `gate_up_proj` (gate rows first) written as `ffn_up` of twice the feed-forward length; NEOX
  rope, so nothing is permuted.
- `rope.dimension_count` is int(partial_rotary_factor × hidden) // heads (Phi-4-mini rotates
  part of each head); `rope.scaling.original_context_length` is recorded.
- LongRoPE ("longrope", formerly "su") scaling becomes `rope_factors_long.weight` /
  `rope_factors_short.weight` (F32, one entry per rotated pair) and an attention factor key:
  the config's `attention_factor`, else sqrt(1 + ln(scale) / ln(original context)) with
  scale = max / original context (1 when not extended).
- `sliding_window` is recorded (0 when absent); llama.cpp runs phi3 without one.
"""

from __future__ import annotations

import math
from typing import ClassVar

import numpy as np

from pollama.convert.architectures.base import (
    Architecture,
    Dimensions,
    GeneratedTensor,
    f32,
    u32,
)
from pollama.convert.architectures.rope import Rope
from pollama.convert.errors import ConvertError
from pollama.convert.hfconfig import HFConfig
from pollama.convert.plan import KV

_LONGROPE = ("longrope", "su")


class Phi3(Architecture):
    gguf_architecture = "phi3"
    layer_names: ClassVar[dict[str, str]] = {
        "input_layernorm.weight": "attn_norm.weight",
        "self_attn.qkv_proj.weight": "attn_qkv.weight",
        "self_attn.o_proj.weight": "attn_output.weight",
        "post_attention_layernorm.weight": "ffn_norm.weight",
        "mlp.gate_up_proj.weight": "ffn_up.weight",
        "mlp.down_proj.weight": "ffn_down.weight",
    }
    rms_eps_default = 1e-5

    def resolve(self, config: HFConfig) -> HFConfig:
        rope = Rope.of(config)
        if rope.scaling_type is not None and rope.scaling_type not in _LONGROPE:
            raise ConvertError(
                f'{rope.scaling.source}: unsupported rope scaling type "{rope.scaling_type}"'
            )
        dims = Dimensions.of(config)
        if dims.heads * dims.head_dim != dims.hidden:
            raise self.refuse(config, "head_dim", dims.head_dim)
        if rope.scaling_type is not None:
            self._factors(config, rope, "long_factor")  # refuse bad factor lists early
            self._factors(config, rope, "short_factor")
        return config

    def metadata(self, config: HFConfig) -> list[KV]:
        rope = Rope.of(config)
        kvs = [
            *self.core_metadata(config),
            u32("phi3.rope.dimension_count", self.rope_dimensions(config)),
            f32("phi3.rope.freq_base", rope.theta),
            u32("phi3.rope.scaling.original_context_length", self._original_context(config)),
            u32("phi3.attention.sliding_window", config.integer("sliding_window", 0)),
        ]
        if rope.scaling_type is not None:
            kvs.append(f32("phi3.rope.scaling.attn_factor", self._attention_factor(config, rope)))
        return kvs

    def layer_shapes(self, config: HFConfig, dims: Dimensions) -> dict[str, tuple[int, ...]]:
        qkv_rows = (dims.heads + 2 * dims.kv_heads) * dims.head_dim
        return {
            "input_layernorm.weight": (dims.hidden,),
            "self_attn.qkv_proj.weight": (qkv_rows, dims.hidden),
            "self_attn.o_proj.weight": (dims.hidden, dims.hidden),
            "post_attention_layernorm.weight": (dims.hidden,),
            "mlp.gate_up_proj.weight": (2 * dims.feed_forward, dims.hidden),
            "mlp.down_proj.weight": (dims.hidden, dims.feed_forward),
        }

    def generated_tensors(self, config: HFConfig) -> list[GeneratedTensor]:
        rope = Rope.of(config)
        if rope.scaling_type is None:
            return []
        return [
            GeneratedTensor("rope_factors_long.weight", self._factors(config, rope, "long_factor")),
            GeneratedTensor(
                "rope_factors_short.weight", self._factors(config, rope, "short_factor")
            ),
        ]

    def rope_dimensions(self, config: HFConfig) -> int:
        dims = Dimensions.of(config)
        rope = Rope.of(config)
        partial = rope.scaling.optional_number("partial_rotary_factor")
        partial = partial or config.number("partial_rotary_factor", 1.0)
        return int(partial * dims.hidden) // dims.heads

    def _original_context(self, config: HFConfig) -> int:
        rope = Rope.of(config)
        return (
            rope.scaling.optional_integer("original_max_position_embeddings")
            or config.optional_integer("original_max_position_embeddings")
            or config.integer("max_position_embeddings")
        )

    def _attention_factor(self, config: HFConfig, rope: Rope) -> float:
        given = rope.scaling.optional_number("attention_factor")
        if given is not None:
            return given
        original = self._original_context(config)
        scale = config.integer("max_position_embeddings") / original
        if scale <= 1.0:
            return 1.0
        return math.sqrt(1 + math.log(scale) / math.log(original))

    def _factors(self, config: HFConfig, rope: Rope, key: str) -> np.ndarray:
        values = rope.scaling.items(key)
        pairs = self.rope_dimensions(config) // 2
        if values is None:
            raise ConvertError(f'{rope.scaling.source}: missing "{key}"')
        if len(values) != pairs or not all(
            isinstance(value, (int, float)) and not isinstance(value, bool) for value in values
        ):
            raise ConvertError(
                f'{rope.scaling.source}: "{key}" must be {pairs} numbers, got {len(values)} values'
            )
        return np.array(values, dtype=np.float32)
