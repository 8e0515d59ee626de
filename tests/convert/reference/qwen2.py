"""Reference forward pass of Qwen2ForCausalLM: the Llama body with q/k/v projection biases
(picked up from the weights), rotate_half RoPE, untied unless `tie_word_embeddings`."""

from __future__ import annotations

import numpy as np

from tests.convert.reference.layers import Config
from tests.convert.reference.llama import decoder_logits


def logits(config: Config, weights: dict[str, np.ndarray], token_ids: list[int]) -> np.ndarray:
    """The logits at every position, shape (len(token_ids), vocab_size)."""
    for layer in range(int(config["num_hidden_layers"])):
        for name in ("q_proj", "k_proj", "v_proj"):
            assert f"model.layers.{layer}.self_attn.{name}.bias" in weights, "qwen2 has qkv biases"
    return decoder_logits(config, weights, token_ids)
