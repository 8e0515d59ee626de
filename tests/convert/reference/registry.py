"""The reference forward pass for a Hugging Face `architectures[0]` name."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from tests.convert.reference import gemma, gemma2, gemma3, llama, phi3, qwen2, qwen3
from tests.convert.reference.layers import Config

Forward = Callable[[Config, dict[str, np.ndarray], list[int]], np.ndarray]

FORWARDS: dict[str, Forward] = {
    "LlamaForCausalLM": llama.logits,
    "MistralForCausalLM": llama.logits,
    "Qwen2ForCausalLM": qwen2.logits,
    "Qwen3ForCausalLM": qwen3.logits,
    "GemmaForCausalLM": gemma.logits,
    "Gemma2ForCausalLM": gemma2.logits,
    "Gemma3ForCausalLM": gemma3.logits,
    "Phi3ForCausalLM": phi3.logits,
}


def logits(config: Config, weights: dict[str, np.ndarray], token_ids: list[int]) -> np.ndarray:
    """The reference logits at every position for the config's architecture."""
    return FORWARDS[config["architectures"][0]](config, weights, token_ids)
