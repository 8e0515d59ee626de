"""Reference forward pass of Qwen3ForCausalLM: the Llama body with a per-head RMSNorm of q and
k (q_norm / k_norm, weight of size head_dim) before RoPE, and head_dim from the config (128
when absent), which need not be hidden_size / num_attention_heads."""

from __future__ import annotations

import numpy as np

from tests.convert.reference.layers import Config
from tests.convert.reference.llama import decoder_logits


def logits(config: Config, weights: dict[str, np.ndarray], token_ids: list[int]) -> np.ndarray:
    """The logits at every position, shape (len(token_ids), vocab_size)."""
    return decoder_logits(config, weights, token_ids, head_dim_default=128, qk_norm=True)
