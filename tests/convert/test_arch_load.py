"""Every architecture's converted tiny checkpoint loads in llama.cpp and evaluates tokens
(its numbers are checked against a reference elsewhere: test_reference_forward)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from pollama.convert.model import plan_model
from pollama.convert.writer import write_plan
from tests.convert.test_plan_model import CONFIGS, stub_tokenizer, write_checkpoint

__all__ = ["stub_tokenizer"]  # the autouse fixture, active here too
pytestmark = pytest.mark.engine

VARIANTS: dict[str, dict[str, Any]] = {
    "llama3 rope": {
        "rope_theta": 500000.0,
        "rope_scaling": {
            "rope_type": "llama3",
            "factor": 8.0,
            "original_max_position_embeddings": 64,
        },
    },
    "biases": {"attention_bias": True, "mlp_bias": True},
}


def load_and_eval(directory: Path) -> np.ndarray:
    import llama_cpp

    output = directory / "model.gguf"
    write_plan(plan_model(directory), output)
    # logits_all: every row's logits are copied out (with it off, llama-cpp-python's copy of
    # the last row was seen to hold stale memory now and then).
    model = llama_cpp.Llama(str(output), n_ctx=32, n_threads=1, verbose=False, logits_all=True)
    try:
        model.eval([1, 5, 7, 9])
        return np.array(model.scores[model.n_tokens - 1], dtype=np.float32)
    finally:
        model.close()


@pytest.mark.parametrize("architecture", list(CONFIGS))
def test_converted_model_loads(tmp_path: Path, architecture: str) -> None:
    write_checkpoint(tmp_path, architecture)
    logits = load_and_eval(tmp_path)
    assert logits.shape == (48,) and np.isfinite(logits).all()


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_llama_variants_load(tmp_path: Path, variant: str) -> None:
    write_checkpoint(tmp_path, "LlamaForCausalLM", dtype=np.float32, **VARIANTS[variant])
    assert np.isfinite(load_and_eval(tmp_path)).all()
