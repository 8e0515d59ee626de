"""What every architecture shares: dimensions, the expected tensor list, HF → GGUF names and
the metadata keys llama.cpp reads for any decoder (its `llama_model_base::load_hparams`).

An architecture describes one decoder layer (its HF tensor names, their GGUF names and shapes)
and the metadata and transforms particular to it; this base turns that into the full list of
tensors a checkpoint must hold and the mapping of every name it may hold.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
from gguf import GGUFValueType

from pollama.convert.errors import ConvertError
from pollama.convert.hfconfig import HFConfig
from pollama.convert.plan import KV

EMBEDDINGS = "model.embed_tokens.weight"
FINAL_NORM = "model.norm.weight"
LM_HEAD = "lm_head.weight"
_GLOBAL_NAMES = {
    EMBEDDINGS: "token_embd.weight",
    FINAL_NORM: "output_norm.weight",
    LM_HEAD: "output.weight",
}
_LAYER = re.compile(r"model\.layers\.(\d+)\.(.+)")
# Buffers some checkpoints save that carry no weights (recomputed from the config).
_DROPPED_SUFFIXES = ("rotary_emb.inv_freq", "rotary_emb.cos_cached", "rotary_emb.sin_cached")


def u32(key: str, value: int) -> KV:
    return KV(key, int(value), GGUFValueType.UINT32)


def f32(key: str, value: float) -> KV:
    return KV(key, float(value), GGUFValueType.FLOAT32)


def text(key: str, value: str) -> KV:
    return KV(key, value, GGUFValueType.STRING)


def bools(key: str, values: list[bool]) -> KV:
    return KV(key, list(values), GGUFValueType.ARRAY, GGUFValueType.BOOL)


@dataclass(frozen=True)
class Dimensions:
    """The sizes every decoder has, from the config (head_dim defaults to hidden / heads).
    The vocabulary size is not among them: a config may leave it to the embedding matrix."""

    hidden: int
    layers: int
    heads: int
    kv_heads: int
    head_dim: int
    feed_forward: int

    @classmethod
    def of(cls, config: HFConfig) -> Dimensions:
        hidden = config.integer("hidden_size")
        heads = config.integer("num_attention_heads")
        kv_heads = config.integer("num_key_value_heads", heads)
        values = {
            "hidden_size": hidden,
            "num_hidden_layers": config.integer("num_hidden_layers"),
            "num_attention_heads": heads,
            "num_key_value_heads": kv_heads,
            "intermediate_size": config.integer("intermediate_size"),
        }
        if heads > 0 and not config.has("head_dim") and hidden % heads:
            raise ConvertError(
                f'{config.source}: "hidden_size" {hidden} is not a multiple of '
                f'"num_attention_heads" {heads}'
            )
        head_dim = config.integer("head_dim", hidden // heads if heads > 0 else 0)
        for key, value in {**values, "head_dim": head_dim}.items():
            if value <= 0:
                raise ConvertError(f'{config.source}: "{key}" must be positive, got {value}')
        if heads % kv_heads:
            raise ConvertError(
                f'{config.source}: "num_attention_heads" {heads} is not a multiple of '
                f'"num_key_value_heads" {kv_heads}'
            )
        return cls(
            hidden=hidden,
            layers=values["num_hidden_layers"],
            heads=heads,
            kv_heads=kv_heads,
            head_dim=head_dim,
            feed_forward=values["intermediate_size"],
        )


def vocab_size(config: HFConfig) -> int:
    vocab = config.integer("vocab_size")
    if vocab <= 0:
        raise ConvertError(f'{config.source}: "vocab_size" must be positive, got {vocab}')
    return vocab


@dataclass(frozen=True)
class ExpectedTensor:
    """A tensor the checkpoint must hold: its HF name, its GGUF name, its numpy shape."""

    hf_name: str
    gguf_name: str
    shape: tuple[int, ...]


@dataclass(frozen=True)
class GeneratedTensor:
    """A tensor computed from the config (rope factors), always float32."""

    name: str
    values: np.ndarray


class Architecture:
    """One Hugging Face architecture's conversion to one GGUF architecture.

    Subclasses set `gguf_architecture` and `layer_names` (HF name inside `model.layers.N.` →
    GGUF name inside `blk.N.`) and implement `layer_shapes` and `metadata`.
    """

    gguf_architecture: ClassVar[str]
    layer_names: ClassVar[dict[str, str]]
    tie_default: ClassVar[bool] = False  # the HF config class's tie_word_embeddings default
    rms_eps_default: ClassVar[float] = 1e-6  # the HF config class's rms_norm_eps default
    # The feed-forward activations llama.cpp's graph computes, and the config key naming it.
    activations: ClassVar[tuple[str, ...]] = ("silu", "swish")
    activation_key: ClassVar[str] = "hidden_act"

    def __init__(self, hf_architecture: str) -> None:
        self.hf_architecture = hf_architecture

    def resolve(self, config: HFConfig) -> HFConfig:
        """The config the other methods read (e.g. a multimodal checkpoint's text part), with
        refusals of settings llama.cpp cannot reproduce."""
        return config

    def check_activation(self, config: HFConfig) -> None:
        """Refuse a feed-forward activation llama.cpp's graph for this architecture does not
        compute (it hard-codes one per architecture)."""
        activation = config.optional_string(self.activation_key)
        if activation is not None and activation not in self.activations:
            raise self.refuse(config, self.activation_key, activation)

    def metadata(self, config: HFConfig) -> list[KV]:
        raise NotImplementedError

    def layer_shapes(self, config: HFConfig, dims: Dimensions) -> dict[str, tuple[int, ...]]:
        """Each tensor of one layer (HF name inside `model.layers.N.`) and its numpy shape."""
        raise NotImplementedError

    def generated_tensors(self, config: HFConfig) -> list[GeneratedTensor]:
        return []

    def transforms(self, gguf_name: str) -> bool:
        """Whether `transform` changes this tensor (else its data is copied as is)."""
        return False

    def transform(self, gguf_name: str, array: np.ndarray, config: HFConfig) -> np.ndarray:
        """The float32 data of `gguf_name` as llama.cpp wants it; also applied to LoRA B
        matrices, whose rows are the weight's rows."""
        return array

    def tied(self, config: HFConfig) -> bool:
        """Whether the output projection is the embedding matrix (no output.weight)."""
        return config.flag("tie_word_embeddings", self.tie_default)

    def expected_tensors(self, config: HFConfig) -> list[ExpectedTensor]:
        """Every tensor the checkpoint must hold, in the order they are written."""
        dims = Dimensions.of(config)
        vocab = vocab_size(config)
        expected = [self._global(EMBEDDINGS, (vocab, dims.hidden))]
        shapes = self.layer_shapes(config, dims)
        for layer in range(dims.layers):
            for name, shape in shapes.items():
                gguf_name = f"blk.{layer}.{self.layer_names[name]}"
                expected.append(ExpectedTensor(f"model.layers.{layer}.{name}", gguf_name, shape))
        expected.append(self._global(FINAL_NORM, (dims.hidden,)))
        if not self.tied(config):
            expected.append(self._global(LM_HEAD, (vocab, dims.hidden)))
        return expected

    def tensor_name(self, hf_name: str) -> str | None:
        """The GGUF name of a checkpoint tensor; None for one that is dropped (rotary buffers);
        ConvertError for one this architecture does not have."""
        name = self.canonical_name(hf_name)
        if name is None or name.endswith(_DROPPED_SUFFIXES):
            return None
        if name in _GLOBAL_NAMES:
            return _GLOBAL_NAMES[name]
        match = _LAYER.fullmatch(name)
        if match and match[2] in self.layer_names:
            return f"blk.{int(match[1])}.{self.layer_names[match[2]]}"
        raise ConvertError(f"{hf_name}: unexpected tensor for {self.hf_architecture}")

    def canonical_name(self, hf_name: str) -> str | None:
        """The name as a text-only checkpoint spells it: multimodal wrappers put the text model
        under `language_model.` (llama.cpp's converter strips it the same way)."""
        return hf_name.replace("language_model.", "")

    def core_metadata(self, config: HFConfig, context_default: int | None = None) -> list[KV]:
        """The keys every decoder has: sizes, head counts, norm epsilon, head length."""
        arch = self.gguf_architecture
        dims = Dimensions.of(config)
        context = config.integer("max_position_embeddings", context_default)
        kvs = [
            u32(f"{arch}.context_length", context),
            u32(f"{arch}.embedding_length", dims.hidden),
            u32(f"{arch}.block_count", dims.layers),
            u32(f"{arch}.feed_forward_length", dims.feed_forward),
            u32(f"{arch}.attention.head_count", dims.heads),
            u32(f"{arch}.attention.head_count_kv", dims.kv_heads),
            f32(
                f"{arch}.attention.layer_norm_rms_epsilon",
                config.number("rms_norm_eps", self.rms_eps_default),
            ),
        ]
        if dims.head_dim * dims.heads != dims.hidden or config.has("head_dim"):
            kvs.append(u32(f"{arch}.attention.key_length", dims.head_dim))
            kvs.append(u32(f"{arch}.attention.value_length", dims.head_dim))
        return kvs

    def refuse(self, config: HFConfig, key: str, value: Any) -> ConvertError:
        return ConvertError(
            f'{config.source}: "{key}" {json.dumps(value)} is not supported for '
            f"{self.hf_architecture}"
        )

    def _global(self, hf_name: str, shape: tuple[int, ...]) -> ExpectedTensor:
        return ExpectedTensor(hf_name, _GLOBAL_NAMES[hf_name], shape)


def attention_shapes(dims: Dimensions, bias: bool = False) -> dict[str, tuple[int, ...]]:
    """The separate q/k/v/o projections of a llama-style attention block."""
    q_rows, kv_rows = dims.heads * dims.head_dim, dims.kv_heads * dims.head_dim
    shapes: dict[str, tuple[int, ...]] = {
        "self_attn.q_proj.weight": (q_rows, dims.hidden),
        "self_attn.k_proj.weight": (kv_rows, dims.hidden),
        "self_attn.v_proj.weight": (kv_rows, dims.hidden),
        "self_attn.o_proj.weight": (dims.hidden, q_rows),
    }
    if bias:
        shapes["self_attn.q_proj.bias"] = (q_rows,)
        shapes["self_attn.k_proj.bias"] = (kv_rows,)
        shapes["self_attn.v_proj.bias"] = (kv_rows,)
    return shapes


def gated_mlp_shapes(dims: Dimensions) -> dict[str, tuple[int, ...]]:
    """The gate/up/down projections of a SwiGLU / GeGLU feed-forward block."""
    return {
        "mlp.gate_proj.weight": (dims.feed_forward, dims.hidden),
        "mlp.up_proj.weight": (dims.feed_forward, dims.hidden),
        "mlp.down_proj.weight": (dims.hidden, dims.feed_forward),
    }


# The GGUF names of the tensors most decoders share.
COMMON_LAYER_NAMES = {
    "input_layernorm.weight": "attn_norm.weight",
    "self_attn.q_proj.weight": "attn_q.weight",
    "self_attn.k_proj.weight": "attn_k.weight",
    "self_attn.v_proj.weight": "attn_v.weight",
    "self_attn.o_proj.weight": "attn_output.weight",
    "self_attn.q_proj.bias": "attn_q.bias",
    "self_attn.k_proj.bias": "attn_k.bias",
    "self_attn.v_proj.bias": "attn_v.bias",
    "self_attn.o_proj.bias": "attn_output.bias",
    "post_attention_layernorm.weight": "ffn_norm.weight",
    "mlp.gate_proj.weight": "ffn_gate.weight",
    "mlp.up_proj.weight": "ffn_up.weight",
    "mlp.down_proj.weight": "ffn_down.weight",
}
