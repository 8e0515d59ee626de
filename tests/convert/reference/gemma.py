"""Reference forward pass of GemmaForCausalLM: embeddings scaled by sqrt(hidden_size),
RMSNorm scaling by (1 + weight), GeGLU with the tanh approximation of GELU, head_dim from the
config (256 when absent), embeddings tied to the output."""

from __future__ import annotations

import math

import numpy as np

from tests.convert.reference.layers import (
    Config,
    apply_rope,
    as_float64,
    attention,
    gelu_tanh,
    head_dim,
    kv_heads,
    linear,
    lm_head,
    rms_norm,
    rope_for,
)


def logits(config: Config, weights: dict[str, np.ndarray], token_ids: list[int]) -> np.ndarray:
    """The logits at every position, shape (len(token_ids), vocab_size)."""
    w = as_float64(weights)
    eps = float(config["rms_norm_eps"])
    heads, groups = int(config["num_attention_heads"]), kv_heads(config)
    dim = head_dim(config, 256)
    rope = rope_for(config, dim, float(config.get("rope_theta", 10000.0)), None)
    tokens = len(token_ids)
    x = w["model.embed_tokens.weight"][token_ids] * math.sqrt(int(config["hidden_size"]))
    for layer in range(int(config["num_hidden_layers"])):
        p = f"model.layers.{layer}."
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps, offset=1.0)
        q = linear(h, w[p + "self_attn.q_proj.weight"]).reshape(tokens, heads, dim)
        k = linear(h, w[p + "self_attn.k_proj.weight"]).reshape(tokens, groups, dim)
        v = linear(h, w[p + "self_attn.v_proj.weight"]).reshape(tokens, groups, dim)
        q, k = apply_rope(q, rope), apply_rope(k, rope)
        x = x + linear(attention(q, k, v, dim**-0.5), w[p + "self_attn.o_proj.weight"])

        h = rms_norm(x, w[p + "post_attention_layernorm.weight"], eps, offset=1.0)
        gate = gelu_tanh(linear(h, w[p + "mlp.gate_proj.weight"]))
        x = x + linear(gate * linear(h, w[p + "mlp.up_proj.weight"]), w[p + "mlp.down_proj.weight"])
    x = rms_norm(x, w["model.norm.weight"], eps, offset=1.0)
    return linear(x, lm_head(config, w, tied_by_default=True))
