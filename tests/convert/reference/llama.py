"""Reference forward pass of LlamaForCausalLM and MistralForCausalLM (and the shared body of
the Qwen2 / Qwen3 passes): RMSNorm, rotate_half RoPE with rope_theta and rope_scaling,
grouped-query attention with optional q/k/v biases and per-head q/k RMSNorm, SwiGLU."""

from __future__ import annotations

import numpy as np

from tests.convert.reference.layers import (
    Config,
    apply_rope,
    as_float64,
    attention,
    head_dim,
    kv_heads,
    linear,
    lm_head,
    rms_norm,
    rope_for,
    silu,
)


def logits(config: Config, weights: dict[str, np.ndarray], token_ids: list[int]) -> np.ndarray:
    """The logits at every position, shape (len(token_ids), vocab_size). Mistral attends
    within `sliding_window` tokens on every layer."""
    window = config.get("sliding_window") if config.get("model_type") == "mistral" else None
    return decoder_logits(config, weights, token_ids, window=window)


def decoder_logits(
    config: Config,
    weights: dict[str, np.ndarray],
    token_ids: list[int],
    *,
    head_dim_default: int | None = None,
    qk_norm: bool = False,
    tied_by_default: bool = False,
    window: int | None = None,
) -> np.ndarray:
    if config.get("use_sliding_window"):
        raise NotImplementedError("use_sliding_window")  # Qwen's per-layer windows
    w = as_float64(weights)
    eps = float(config["rms_norm_eps"])
    heads, groups = int(config["num_attention_heads"]), kv_heads(config)
    dim = head_dim(config, head_dim_default)
    rope = rope_for(
        config, dim, float(config.get("rope_theta", 10000.0)), config.get("rope_scaling")
    )
    tokens = len(token_ids)
    x = w["model.embed_tokens.weight"][token_ids]
    for layer in range(int(config["num_hidden_layers"])):
        p = f"model.layers.{layer}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)

        def project(name: str, count: int, h: np.ndarray = h, p: str = p) -> np.ndarray:
            out = linear(h, w[p + f"self_attn.{name}.weight"], w.get(p + f"self_attn.{name}.bias"))
            return out.reshape(tokens, count, dim)

        q, k, v = project("q_proj", heads), project("k_proj", groups), project("v_proj", groups)
        if qk_norm:
            q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps)
            k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps)
        q, k = apply_rope(q, rope), apply_rope(k, rope)
        attended = attention(q, k, v, dim**-0.5, window=window)
        x = x + linear(
            attended, w[p + "self_attn.o_proj.weight"], w.get(p + "self_attn.o_proj.bias")
        )

        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate = linear(h, w[p + "mlp.gate_proj.weight"], w.get(p + "mlp.gate_proj.bias"))
        up = linear(h, w[p + "mlp.up_proj.weight"], w.get(p + "mlp.up_proj.bias"))
        down = w[p + "mlp.down_proj.weight"], w.get(p + "mlp.down_proj.bias")
        x = x + linear(silu(gate) * up, *down)
    x = rms_norm(x, w["model.norm.weight"], eps)
    return linear(x, lm_head(config, w, tied_by_default))
