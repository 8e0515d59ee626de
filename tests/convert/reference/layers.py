"""Building blocks of the NumPy reference forward passes, in float64, with the semantics of the
Hugging Face transformers modeling code (rotate_half RoPE, grouped-query attention, RMSNorm)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]
Config = Mapping[str, Any]


def as_float64(weights: Mapping[str, np.ndarray]) -> dict[str, Array]:
    return {name: np.asarray(array, dtype=np.float64) for name, array in weights.items()}


def head_dim(config: Config, default: int | None = None) -> int:
    """`head_dim` from the config; when absent, the architecture's default (gemma: 256, qwen3:
    128) or hidden_size / num_attention_heads."""
    value = config.get("head_dim")
    if value is not None:
        return int(value)
    if default is not None:
        return default
    return int(config["hidden_size"]) // int(config["num_attention_heads"])


def kv_heads(config: Config) -> int:
    value = config.get("num_key_value_heads")
    return int(value if value is not None else config["num_attention_heads"])


def linear(x: Array, weight: Array, bias: Array | None = None) -> Array:
    y = x @ weight.T
    return y if bias is None else y + bias


def rms_norm(x: Array, weight: Array, eps: float, offset: float = 0.0) -> Array:
    """RMSNorm over the last axis; gemma models scale by (1 + weight): `offset=1`."""
    normalized = x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps)
    return normalized * (offset + weight)


def silu(x: Array) -> Array:
    return x / (1.0 + np.exp(-x))


def gelu_tanh(x: Array) -> Array:
    return 0.5 * x * (1.0 + np.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x**3)))


def softcap(x: Array, cap: float | None) -> Array:
    return x if not cap else cap * np.tanh(x / cap)


@dataclass(frozen=True)
class Rope:
    """Rotary embedding: inverse frequencies over the first 2 * len(inv_freq) dimensions, and
    the factor cos and sin are multiplied by (LongRoPE)."""

    inv_freq: Array
    attention_factor: float = 1.0


def rope_for(
    config: Config, rotary_dim: int, base: float, scaling: Mapping[str, Any] | None
) -> Rope:
    """The rotary embedding with the `rope_scaling` types that matter at short lengths:
    "linear", "llama3", "longrope" (short factors below original_max_position_embeddings)."""
    exponents = np.arange(0, rotary_dim, 2, dtype=np.float64) / rotary_dim
    inv_freq = 1.0 / base**exponents
    kind = (scaling or {}).get("rope_type", (scaling or {}).get("type", "default"))
    if kind in ("default", "dynamic"):  # dynamic only changes past max_position_embeddings
        return Rope(inv_freq)
    assert scaling is not None
    if kind == "linear":
        return Rope(inv_freq / float(scaling["factor"]))
    if kind == "llama3":
        return Rope(_llama3_inv_freq(inv_freq, scaling, float(scaling["factor"])))
    if kind in ("longrope", "su"):
        return _longrope(config, exponents, base, scaling)
    raise NotImplementedError(f"rope_scaling type {kind!r}")


def _longrope(config: Config, exponents: Array, base: float, scaling: Mapping[str, Any]) -> Rope:
    original = config.get("original_max_position_embeddings")
    if original:
        factor = int(config["max_position_embeddings"]) / int(original)
    else:
        original, factor = config["max_position_embeddings"], float(scaling.get("factor", 1.0))
    attention_factor = scaling.get("attention_factor")
    if attention_factor is None:
        attention_factor = (
            math.sqrt(1 + math.log(factor) / math.log(int(original))) if factor > 1 else 1.0
        )
    short = np.asarray(scaling["short_factor"], dtype=np.float64)
    return Rope(1.0 / (short * base**exponents), float(attention_factor))


def _llama3_inv_freq(inv_freq: Array, scaling: Mapping[str, Any], factor: float) -> Array:
    """Llama 3.1's scaling: long wavelengths divided by `factor`, short ones kept, a smooth
    blend in between."""
    low = float(scaling["low_freq_factor"])
    high = float(scaling["high_freq_factor"])
    original = float(scaling["original_max_position_embeddings"])
    wavelen = 2 * math.pi / inv_freq
    scaled = np.where(wavelen > original / low, inv_freq / factor, inv_freq)
    smooth = (original / wavelen - low) / (high - low)
    smoothed = (1 - smooth) * scaled / factor + smooth * scaled
    medium = (wavelen >= original / high) & (wavelen <= original / low)
    return np.where(medium, smoothed, scaled)


def rotate_half(x: Array) -> Array:
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def apply_rope(x: Array, rope: Rope) -> Array:
    """Rotary embedding of x (tokens, heads, head_dim) at positions 0..tokens-1, applied to the
    first 2 * len(inv_freq) dimensions (partial rotary keeps the rest)."""
    rotary_dim = 2 * len(rope.inv_freq)
    angles = np.arange(x.shape[0], dtype=np.float64)[:, None] * rope.inv_freq[None, :]
    angles = np.concatenate([angles, angles], axis=-1)[:, None, :]
    cos, sin = np.cos(angles) * rope.attention_factor, np.sin(angles) * rope.attention_factor
    rotary, passed = x[..., :rotary_dim], x[..., rotary_dim:]
    rotated = rotary * cos + rotate_half(rotary) * sin
    return np.concatenate([rotated, passed], axis=-1)


def attention(
    q: Array,
    k: Array,
    v: Array,
    scale: float,
    logit_softcap: float | None = None,
    window: int | None = None,
) -> Array:
    """Causal grouped-query attention: q (tokens, heads, d), k and v (tokens, kv_heads, d);
    query head h reads kv head h // (heads / kv_heads). Returns (tokens, heads * d_v)."""
    tokens, heads, _ = q.shape
    group = heads // k.shape[1]
    k = np.repeat(k, group, axis=1)
    v = np.repeat(v, group, axis=1)
    scores = np.einsum("qhd,khd->hqk", q, k) * scale
    scores = softcap(scores, logit_softcap)
    query, key = np.arange(tokens)[:, None], np.arange(tokens)[None, :]
    allowed = key <= query
    if window is not None:
        allowed &= query - key < window
    scores = np.where(allowed[None], scores, -np.inf)
    scores = scores - scores.max(axis=-1, keepdims=True)
    probs = np.exp(scores)
    probs /= probs.sum(axis=-1, keepdims=True)
    out = np.einsum("hqk,khd->qhd", probs, v)
    return out.reshape(tokens, -1)


def lm_head(config: Config, weights: Mapping[str, Array], tied_by_default: bool) -> Array:
    """The output projection: the embeddings when `tie_word_embeddings` (whose default differs
    by architecture), lm_head.weight otherwise."""
    if config.get("tie_word_embeddings", tied_by_default):
        return weights["model.embed_tokens.weight"]
    return weights["lm_head.weight"]
