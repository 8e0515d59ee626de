"""Qwen2ForCausalLM (Qwen2, Qwen2.5) → GGUF "qwen2"; Qwen3ForCausalLM → GGUF "qwen3".

Facts from llama.cpp's convert_hf_to_gguf.py (Qwen2Model, Qwen3Model) and its qwen2 / qwen3
loaders: NEOX rope, so no row permutation; Qwen2 always has q/k/v biases and an output
projection of hidden × hidden; Qwen3 has per-head RMS norms on q and k (plain weights, no
offset), an explicit head_dim (128 when the config omits it, the Qwen3Config default) and no
biases. Linear and YaRN rope scaling become keys. llama.cpp has no sliding window for these
architectures, so a config that turns one on is refused.
"""

from __future__ import annotations

from typing import ClassVar

from pollama.convert.architectures.base import (
    COMMON_LAYER_NAMES,
    Architecture,
    Dimensions,
    attention_shapes,
    f32,
    gated_mlp_shapes,
)
from pollama.convert.architectures.rope import Rope, scaling_metadata
from pollama.convert.hfconfig import HFConfig
from pollama.convert.plan import KV


class Qwen2(Architecture):
    gguf_architecture = "qwen2"
    layer_names: ClassVar[dict[str, str]] = COMMON_LAYER_NAMES

    def resolve(self, config: HFConfig) -> HFConfig:
        if config.flag("use_sliding_window", False):
            raise self.refuse(config, "use_sliding_window", True)
        Rope.of(config)
        return config

    def metadata(self, config: HFConfig) -> list[KV]:
        rope = Rope.of(config)
        arch = self.gguf_architecture
        return [
            *self.core_metadata(config),
            f32(f"{arch}.rope.freq_base", rope.theta),
            *scaling_metadata(arch, rope, config),
        ]

    def layer_shapes(self, config: HFConfig, dims: Dimensions) -> dict[str, tuple[int, ...]]:
        if dims.heads * dims.head_dim != dims.hidden:
            raise self.refuse(config, "head_dim", dims.head_dim)
        return {
            "input_layernorm.weight": (dims.hidden,),
            **attention_shapes(dims, bias=True),
            "post_attention_layernorm.weight": (dims.hidden,),
            **gated_mlp_shapes(dims),
        }


class Qwen3(Qwen2):
    gguf_architecture = "qwen3"
    layer_names: ClassVar[dict[str, str]] = {
        **COMMON_LAYER_NAMES,
        "self_attn.q_norm.weight": "attn_q_norm.weight",
        "self_attn.k_norm.weight": "attn_k_norm.weight",
    }
    default_head_dim = 128

    def resolve(self, config: HFConfig) -> HFConfig:
        config = super().resolve(config)
        if config.flag("attention_bias", False):
            raise self.refuse(config, "attention_bias", True)
        if not config.has("head_dim"):
            config = config.with_values(head_dim=self.default_head_dim)
        return config

    def layer_shapes(self, config: HFConfig, dims: Dimensions) -> dict[str, tuple[int, ...]]:
        return {
            "input_layernorm.weight": (dims.hidden,),
            **attention_shapes(dims),
            "self_attn.q_norm.weight": (dims.head_dim,),
            "self_attn.k_norm.weight": (dims.head_dim,),
            "post_attention_layernorm.weight": (dims.hidden,),
            **gated_mlp_shapes(dims),
        }
