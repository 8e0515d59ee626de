"""Reference forward pass of Phi3ForCausalLM: fused qkv_proj (q rows, then k, then v) and
gate_up_proj (gate rows, then up), SwiGLU, RMSNorm, rotate_half RoPE over the first
head_dim * partial_rotary_factor dimensions."""

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
    """The logits at every position, shape (len(token_ids), vocab_size)."""
    w = as_float64(weights)
    eps = float(config["rms_norm_eps"])
    heads, groups = int(config["num_attention_heads"]), kv_heads(config)
    dim = head_dim(config)
    rotary_dim = int(dim * float(config.get("partial_rotary_factor", 1.0)))
    rope = rope_for(
        config, rotary_dim, float(config.get("rope_theta", 10000.0)), config.get("rope_scaling")
    )
    tokens = len(token_ids)
    x = w["model.embed_tokens.weight"][token_ids]
    for layer in range(int(config["num_hidden_layers"])):
        p = f"model.layers.{layer}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps)
        qkv = linear(h, w[p + "self_attn.qkv_proj.weight"])
        q_end, k_end = heads * dim, (heads + groups) * dim
        q = qkv[:, :q_end].reshape(tokens, heads, dim)
        k = qkv[:, q_end:k_end].reshape(tokens, groups, dim)
        v = qkv[:, k_end:].reshape(tokens, groups, dim)
        q, k = apply_rope(q, rope), apply_rope(k, rope)
        x = x + linear(attention(q, k, v, dim**-0.5), w[p + "self_attn.o_proj.weight"])

        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps)
        gate, up = np.split(linear(h, w[p + "mlp.gate_up_proj.weight"]), 2, axis=-1)
        x = x + linear(up * silu(gate), w[p + "mlp.down_proj.weight"])
    x = rms_norm(x, w["model.norm.weight"], eps)
    return linear(x, lm_head(config, w, tied_by_default=False))
