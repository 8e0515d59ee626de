"""Reference forward pass of Gemma3ForCausalLM (text; model_type gemma3_text): Gemma 2's block
layout with (1 + weight) RMSNorm of q and k per head before RoPE, no softcapping (unless the
config sets it), rope_theta (with rope_scaling) on global layers and rope_local_base_freq on
sliding layers; `layer_types`, else every 6th layer (sliding_window_pattern) is global."""

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
    softcap,
)


def sliding_layers(config: Config) -> list[bool]:
    types = config.get("layer_types")
    if types:
        return [kind == "sliding_attention" for kind in types]
    pattern = int(config.get("sliding_window_pattern", 6))
    return [(layer + 1) % pattern != 0 for layer in range(int(config["num_hidden_layers"]))]


def logits(config: Config, weights: dict[str, np.ndarray], token_ids: list[int]) -> np.ndarray:
    """The logits at every position, shape (len(token_ids), vocab_size)."""
    w = as_float64(weights)
    eps = float(config["rms_norm_eps"])
    heads, groups = int(config["num_attention_heads"]), kv_heads(config)
    dim = head_dim(config, 256)
    scale = float(config.get("query_pre_attn_scalar", dim)) ** -0.5
    global_rope = rope_for(
        config, dim, float(config.get("rope_theta", 1_000_000.0)), config.get("rope_scaling")
    )
    local_rope = rope_for(config, dim, float(config.get("rope_local_base_freq", 10000.0)), None)
    tokens = len(token_ids)
    x = w["model.embed_tokens.weight"][token_ids] * math.sqrt(int(config["hidden_size"]))
    for layer, sliding in enumerate(sliding_layers(config)):
        p = f"model.layers.{layer}."
        window = int(config["sliding_window"]) if sliding else None
        rope = local_rope if sliding else global_rope
        h = rms_norm(x, w[p + "input_layernorm.weight"], eps, offset=1.0)
        q = linear(h, w[p + "self_attn.q_proj.weight"]).reshape(tokens, heads, dim)
        k = linear(h, w[p + "self_attn.k_proj.weight"]).reshape(tokens, groups, dim)
        v = linear(h, w[p + "self_attn.v_proj.weight"]).reshape(tokens, groups, dim)
        q = rms_norm(q, w[p + "self_attn.q_norm.weight"], eps, offset=1.0)
        k = rms_norm(k, w[p + "self_attn.k_norm.weight"], eps, offset=1.0)
        q, k = apply_rope(q, rope), apply_rope(k, rope)
        attended = attention(q, k, v, scale, config.get("attn_logit_softcapping"), window)
        h = linear(attended, w[p + "self_attn.o_proj.weight"])
        x = x + rms_norm(h, w[p + "post_attention_layernorm.weight"], eps, offset=1.0)

        h = rms_norm(x, w[p + "pre_feedforward_layernorm.weight"], eps, offset=1.0)
        gate = gelu_tanh(linear(h, w[p + "mlp.gate_proj.weight"]))
        h = linear(gate * linear(h, w[p + "mlp.up_proj.weight"]), w[p + "mlp.down_proj.weight"])
        x = x + rms_norm(h, w[p + "post_feedforward_layernorm.weight"], eps, offset=1.0)
    x = rms_norm(x, w["model.norm.weight"], eps, offset=1.0)
    out = linear(x, lm_head(config, w, tied_by_default=True))
    return softcap(out, config.get("final_logit_softcapping"))
