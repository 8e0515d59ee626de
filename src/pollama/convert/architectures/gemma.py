"""GemmaForCausalLM → "gemma", Gemma2ForCausalLM → "gemma2", Gemma3ForCausalLM (and the text
part of Gemma3ForConditionalGeneration) → "gemma3".

Facts from llama.cpp's convert_hf_to_gguf.py (GemmaModel, Gemma2Model, Gemma3Model) and its
gemma loaders:
- Gemma's RMSNorm multiplies by (1 + weight): every tensor whose name ends in `norm.weight`
  (layer norms, the final norm and Gemma 3's q/k norms) is written with 1 added.
- The output projection is the embedding matrix: llama.cpp's gemma and gemma2 have no output
  tensor, so an `lm_head.weight` is dropped and an untied config refused (gemma3 takes one).
- NEOX rope (no permutation); the sqrt(hidden) embedding scale is applied by llama.cpp.
- Gemma 2: both softcappings and the sliding window are keys; Gemma 3: no attention
  softcapping, a local rope base for sliding layers, linear scaling for the global ones.
- The sliding layers are written as a per-layer pattern (from `layer_types` or
  `sliding_window_pattern`; layer i slides unless (i + 1) is a multiple of the period).
- llama.cpp fixes the attention scale at 1/sqrt(head_dim) (1/sqrt(hidden/heads) for its "27B"
  layer counts); a `query_pre_attn_scalar` it would not reproduce is refused.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np

from pollama.convert.architectures.base import (
    COMMON_LAYER_NAMES,
    Architecture,
    Dimensions,
    attention_shapes,
    bools,
    f32,
    gated_mlp_shapes,
    u32,
)
from pollama.convert.architectures.rope import Rope, scaling_metadata
from pollama.convert.errors import ConvertError
from pollama.convert.hfconfig import HFConfig
from pollama.convert.plan import KV

_GEMMA2_NAMES = {
    **COMMON_LAYER_NAMES,
    "post_attention_layernorm.weight": "post_attention_norm.weight",
    "pre_feedforward_layernorm.weight": "ffn_norm.weight",
    "post_feedforward_layernorm.weight": "post_ffw_norm.weight",
}
_GEMMA3_NAMES = {
    **_GEMMA2_NAMES,
    "self_attn.q_norm.weight": "attn_q_norm.weight",
    "self_attn.k_norm.weight": "attn_k_norm.weight",
}


class Gemma(Architecture):
    gguf_architecture = "gemma"
    layer_names: ClassVar[dict[str, str]] = COMMON_LAYER_NAMES
    tie_default = True
    always_tied: ClassVar[bool] = True  # llama.cpp's gemma / gemma2 load no output tensor
    # Gemma reads `hidden_activation` (tanh-approximated GELU when unset, whatever
    # `hidden_act` says); llama.cpp computes the tanh approximation.
    activations: ClassVar[tuple[str, ...]] = ("gelu_pytorch_tanh", "gelu")
    activation_key = "hidden_activation"
    defaults: ClassVar[dict[str, float]] = {"head_dim": 256}
    # Layer counts llama.cpp treats as "27B", scaling queries by hidden / heads.
    scaled_by_hidden_layers: ClassVar[tuple[int, ...]] = ()

    def resolve(self, config: HFConfig) -> HFConfig:
        missing = {key: value for key, value in self.defaults.items() if not config.has(key)}
        config = config.with_values(**missing)
        if self.always_tied and not config.flag("tie_word_embeddings", True):
            raise self.refuse(config, "tie_word_embeddings", False)
        if config.flag("attention_bias", False):
            raise self.refuse(config, "attention_bias", True)
        self._check_query_scale(config)
        Rope.of(config)
        return config

    def tied(self, config: HFConfig) -> bool:
        return self.always_tied or super().tied(config)

    def metadata(self, config: HFConfig) -> list[KV]:
        arch = self.gguf_architecture
        rope = self.rope(config)
        return [
            *self.core_metadata(config),
            f32(f"{arch}.rope.freq_base", rope.theta),
            *scaling_metadata(arch, rope, config),
        ]

    def rope(self, config: HFConfig) -> Rope:
        return Rope.of(config)

    def layer_shapes(self, config: HFConfig, dims: Dimensions) -> dict[str, tuple[int, ...]]:
        return {
            "input_layernorm.weight": (dims.hidden,),
            **attention_shapes(dims),
            "post_attention_layernorm.weight": (dims.hidden,),
            **gated_mlp_shapes(dims),
        }

    def transforms(self, gguf_name: str) -> bool:
        return gguf_name.endswith("norm.weight")

    def transform(self, gguf_name: str, array: np.ndarray, config: HFConfig) -> np.ndarray:
        return array + np.float32(1) if self.transforms(gguf_name) else array

    def _check_query_scale(self, config: HFConfig) -> None:
        scalar = config.optional_number("query_pre_attn_scalar")
        if scalar is None:
            return
        dims = Dimensions.of(config)
        by_hidden = dims.layers in self.scaled_by_hidden_layers
        expected = dims.hidden // dims.heads if by_hidden else dims.head_dim
        if scalar != expected:
            raise ConvertError(
                f'{config.source}: "query_pre_attn_scalar" {scalar:g} is not supported for '
                f"{self.hf_architecture} with {dims.layers} layers (llama.cpp uses {expected})"
            )


class Gemma2(Gemma):
    gguf_architecture = "gemma2"
    layer_names: ClassVar[dict[str, str]] = _GEMMA2_NAMES
    defaults: ClassVar[dict[str, float]] = {
        "head_dim": 256,
        "query_pre_attn_scalar": 256,
        "sliding_window": 4096,
        "attn_logit_softcapping": 50.0,
        "final_logit_softcapping": 30.0,
    }
    scaled_by_hidden_layers = (46,)
    sliding_period = 2

    def resolve(self, config: HFConfig) -> HFConfig:
        for key in ("attn_logit_softcapping", "final_logit_softcapping"):
            if config.is_null(key):  # llama.cpp always softcaps gemma2
                raise self.refuse(config, key, None)
        return super().resolve(config)

    def metadata(self, config: HFConfig) -> list[KV]:
        arch = self.gguf_architecture
        return [
            *super().metadata(config),
            f32(f"{arch}.attn_logit_softcapping", config.number("attn_logit_softcapping")),
            f32(f"{arch}.final_logit_softcapping", config.number("final_logit_softcapping")),
            *self.sliding_metadata(config),
        ]

    def sliding_metadata(self, config: HFConfig) -> list[KV]:
        arch = self.gguf_architecture
        sliding = self.sliding_layers(config)
        if not any(sliding):
            return []
        return [
            u32(f"{arch}.attention.sliding_window", config.integer("sliding_window")),
            bools(f"{arch}.attention.sliding_window_pattern", sliding),
        ]

    def sliding_layers(self, config: HFConfig) -> list[bool]:
        layers = Dimensions.of(config).layers
        kinds = config.items("layer_types")
        if kinds is not None:
            if len(kinds) != layers or not set(kinds) <= {"sliding_attention", "full_attention"}:
                raise ConvertError(
                    f'{config.source}: "layer_types" must list {layers} of '
                    '"sliding_attention" / "full_attention"'
                )
            return [kind == "sliding_attention" for kind in kinds]
        period = (
            config.optional_integer("sliding_window_pattern")
            or config.optional_integer("_sliding_window_pattern")
            or self.sliding_period
        )
        return [(layer + 1) % period != 0 for layer in range(layers)]

    def layer_shapes(self, config: HFConfig, dims: Dimensions) -> dict[str, tuple[int, ...]]:
        return {
            "input_layernorm.weight": (dims.hidden,),
            **attention_shapes(dims),
            "post_attention_layernorm.weight": (dims.hidden,),
            "pre_feedforward_layernorm.weight": (dims.hidden,),
            **gated_mlp_shapes(dims),
            "post_feedforward_layernorm.weight": (dims.hidden,),
        }


class Gemma3(Gemma2):
    gguf_architecture = "gemma3"
    layer_names: ClassVar[dict[str, str]] = _GEMMA3_NAMES
    # Gemma3TextConfig's defaults, which multimodal checkpoints' text_config often relies on.
    defaults: ClassVar[dict[str, float]] = {
        "head_dim": 256,
        "num_attention_heads": 8,
        "num_key_value_heads": 4,
        "rms_norm_eps": 1e-6,
        "max_position_embeddings": 131072,
        "query_pre_attn_scalar": 256,
        "sliding_window": 4096,
    }
    scaled_by_hidden_layers = (62,)
    sliding_period = 6
    always_tied = False  # llama.cpp's gemma3 takes an output tensor when there is one

    def resolve(self, config: HFConfig) -> HFConfig:
        softcap = config.get("attn_logit_softcapping")
        if softcap is not None:
            raise self.refuse(config, "attn_logit_softcapping", softcap)
        if config.flag("use_bidirectional_attention", False):
            raise self.refuse(config, "use_bidirectional_attention", True)
        return Gemma.resolve(self, config)

    def rope(self, config: HFConfig) -> Rope:
        return Rope.of(config, default_theta=1_000_000.0)

    def metadata(self, config: HFConfig) -> list[KV]:
        arch = self.gguf_architecture
        kvs = Gemma.metadata(self, config)
        softcap = config.optional_number("final_logit_softcapping")
        if softcap:
            kvs.append(f32(f"{arch}.final_logit_softcapping", softcap))
        sliding = self.sliding_metadata(config)
        if sliding:
            local_theta = self.rope(config).local_theta or 10000.0
            kvs += [*sliding, f32(f"{arch}.rope.freq_base_swa", local_theta)]
        return kvs

    def layer_shapes(self, config: HFConfig, dims: Dimensions) -> dict[str, tuple[int, ...]]:
        shapes = super().layer_shapes(config, dims)
        shapes["self_attn.q_norm.weight"] = (dims.head_dim,)
        shapes["self_attn.k_norm.weight"] = (dims.head_dim,)
        return shapes


class Gemma3Multimodal(Gemma3):
    """Gemma3ForConditionalGeneration: the text model only (the GGUF llama.cpp loads); the
    vision tower and projector are dropped."""

    _vision_prefixes = ("vision_tower.", "multi_modal_projector.")
    # Head counts by layer count for text configs that omit them (Ollama's convert_gemma3.go).
    _heads_by_layers: ClassVar[dict[int, tuple[int, int]]] = {
        34: (8, 4),
        48: (16, 8),
        62: (32, 16),
    }

    def resolve(self, config: HFConfig) -> HFConfig:
        text_config = config.text_config()
        if text_config is None:
            raise ConvertError(f'{config.source}: missing "text_config"')
        if not text_config.has("num_attention_heads"):
            layers = text_config.optional_integer("num_hidden_layers")
            if layers in self._heads_by_layers:
                heads, kv_heads = self._heads_by_layers[layers]
                text_config = text_config.with_values(
                    num_attention_heads=heads, num_key_value_heads=kv_heads
                )
        return super().resolve(text_config)

    def canonical_name(self, hf_name: str) -> str | None:
        name = super().canonical_name(hf_name)
        if name is not None and name.removeprefix("model.").startswith(self._vision_prefixes):
            return None
        return name
