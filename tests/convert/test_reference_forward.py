"""Converted models compute the Hugging Face function: tiny random checkpoints of every supported
architecture, converted to GGUF and run in llama.cpp, give the logits of the NumPy reference
forward passes (tests/convert/reference/) at every position of a few prompts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from tests.convert.reference import layers
from tests.convert.reference.registry import logits as reference_logits
from tests.convert.synthetic import (
    ARCHITECTURES,
    DTYPES,
    LOGIT_STD,
    SyntheticModel,
    prompt_ids,
    write_hf_model,
)

# Shorter than every synthetic sliding window (32 tokens), so the window never bites.
PROMPTS = [
    "The quick brown fox jumps over the dog.",
    "def add(a, b):\n    return a + b",
    "She sells sea shells by the sea shore",
]
LONG_PROMPT = (
    "She sells sea shells by the sea shore; the shells she sells are sea shells. The quick fox"
)

# How far below the reference's best logit llama.cpp's top-1 token may score (a near tie), by
# weight type: F16 / BF16 weights make llama.cpp round activations to 16 bits too.
TOP1_MARGIN = {"F32": 0.01 * LOGIT_STD, "F16": 0.02 * LOGIT_STD, "BF16": 0.1 * LOGIT_STD}
# The largest difference of any logit. Observed: about 1e-5 (F32; gemma's GELU, which ggml
# looks up in an F16 table: 0.02), 0.05 (F16), 0.35 (BF16). A wrong rope base, scaling,
# softcap, window or attention scale moves some logit by more than 1.5.
LOGIT_ATOL = {"F32": 0.02 * LOGIT_STD, "F16": 0.05 * LOGIT_STD, "BF16": 0.2 * LOGIT_STD}

GGML_TYPE_F32 = 0  # the KV cache type: F32 keeps the comparison free of F16 cache rounding


def assert_same_top1(expected: np.ndarray, got: np.ndarray, margin: float, label: str) -> None:
    """llama.cpp's top-1 token is the reference's wherever the reference's leads by more than
    `margin`, and within `margin` of the reference's best everywhere."""
    picked = got.argmax(axis=-1)
    shortfall = expected.max(axis=-1) - expected[np.arange(len(expected)), picked]
    wrong = np.flatnonzero(shortfall > margin)
    assert wrong.size == 0, (
        f"{label}: top-1 differs at positions {wrong.tolist()} of {len(expected)}: reference "
        f"{expected.argmax(axis=-1)[wrong].tolist()}, llama.cpp {picked[wrong].tolist()}; "
        f"max |logit diff| {np.abs(expected - got).max():.4f}"
    )


def test_reference_is_deterministic_causal_and_finite(tmp_path: Path) -> None:
    for architecture in ARCHITECTURES:
        model = write_hf_model(tmp_path / architecture, architecture)
        ids = prompt_ids(tmp_path / architecture, PROMPTS[0])
        full = reference_logits(model["config"], model["weights"], ids)
        assert full.shape == (len(ids), model["config"]["vocab_size"]), architecture
        assert np.isfinite(full).all(), architecture
        assert np.array_equal(full, reference_logits(model["config"], model["weights"], ids))
        # A position's logits depend only on the tokens up to it.
        prefix = reference_logits(model["config"], model["weights"], ids[:5])
        np.testing.assert_allclose(prefix, full[:5], atol=1e-9, err_msg=architecture)
        probabilities = np.exp(full - full.max(axis=-1, keepdims=True))
        probabilities /= probabilities.sum(axis=-1, keepdims=True)
        np.testing.assert_allclose(probabilities.sum(axis=-1), 1.0, atol=1e-12)
        # Random weights still spread the logits and vary the prediction along the prompt.
        assert 2 < full.std() < 15, (architecture, full.std())
        assert len(set(full.argmax(axis=-1).tolist())) > len(ids) // 4, architecture


def test_synthetic_checkpoint_round_trips(tmp_path: Path) -> None:
    from safetensors.numpy import load_file

    for dtype in ("F32", "F16"):
        model = write_hf_model(tmp_path / dtype, "qwen2", dtype=dtype)
        stored = load_file(str(tmp_path / dtype / "model.safetensors"))
        assert stored.keys() == model["weights"].keys()
        for name, array in stored.items():
            assert array.dtype == {"F32": np.float32, "F16": np.float16}[dtype]
            assert np.array_equal(array.astype(np.float32), model["weights"][name]), name
    again = write_hf_model(tmp_path / "again", "qwen2", dtype="F16")
    assert all(np.array_equal(again["weights"][n], a) for n, a in model["weights"].items())
    bf16 = write_hf_model(tmp_path / "bf16", "gemma", dtype="BF16")["weights"]
    bits = bf16["model.embed_tokens.weight"].view(np.uint32)
    assert not (bits & 0xFFFF).any()  # exactly representable in bfloat16


def test_layers() -> None:
    x = np.random.default_rng(0).standard_normal((3, 2, 8))
    rope = layers.rope_for({}, 8, 10000.0, None)
    np.testing.assert_allclose(layers.apply_rope(x, rope)[0], x[0])  # position 0: identity
    rotated = layers.apply_rope(x, rope)
    np.testing.assert_allclose(np.linalg.norm(rotated, axis=-1), np.linalg.norm(x, axis=-1))
    partial = layers.apply_rope(x, layers.rope_for({}, 4, 10000.0, None))
    np.testing.assert_array_equal(partial[..., 4:], x[..., 4:])
    linear = layers.rope_for({}, 8, 10000.0, {"type": "linear", "factor": 4.0})
    np.testing.assert_allclose(linear.inv_freq, rope.inv_freq / 4)
    # One token attends only to itself; kv heads are shared by consecutive query heads.
    q, k, v = x[:1], x[:1, :1], x[:1, 1:]
    np.testing.assert_allclose(layers.attention(q, k, v, 1.0), np.tile(v[0, 0], 2)[None])
    norm = layers.rms_norm(x, np.full(8, 2.0), 0.0)
    np.testing.assert_allclose(np.sqrt(np.mean(norm**2, axis=-1)), 2.0)
    np.testing.assert_allclose(layers.rms_norm(x, np.ones(8), 0.0, offset=1.0), norm)


def convert_and_load(directory: Path, dtype: str) -> Any:
    """Convert the checkpoint in `directory` and load it in llama.cpp (F32 KV cache)."""
    from llama_cpp import Llama

    from pollama.convert.model import plan_model
    from pollama.convert.writer import write_plan

    plan = plan_model(directory)
    assert plan.file_type == dtype
    for tensor in plan.tensors:
        assert tensor.dtype == (dtype if len(tensor.shape) == 2 else "F32"), tensor.name
    converted = directory.parent / "model.gguf"
    write_plan(plan, converted)
    return Llama(
        str(converted),
        n_ctx=64,
        n_threads=1,
        logits_all=True,
        verbose=False,
        type_k=GGML_TYPE_F32,
        type_v=GGML_TYPE_F32,
    )


def assert_matches_reference(
    llm: Any, model: SyntheticModel, directory: Path, prompt: str, dtype: str, label: str
) -> None:
    ids = prompt_ids(directory, prompt)
    expected = reference_logits(model["config"], model["weights"], ids)
    llm.reset()
    llm.eval(ids)
    got = np.array(llm.scores[: len(ids)], dtype=np.float64)
    label = f"{label} {dtype} {prompt!r}"
    assert_same_top1(expected, got, TOP1_MARGIN[dtype], label)
    diff = np.abs(expected - got).max()
    assert diff <= LOGIT_ATOL[dtype], f"{label}: max |logit diff| {diff:.4f} > {LOGIT_ATOL[dtype]}"


@pytest.mark.engine
@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("architecture", ARCHITECTURES)
def test_llama_cpp_matches_reference(tmp_path: Path, architecture: str, dtype: str) -> None:
    source = tmp_path / "hf"
    model = write_hf_model(source, architecture, dtype=dtype)
    llm = convert_and_load(source, dtype)
    try:
        for prompt in PROMPTS:
            assert_matches_reference(llm, model, source, prompt, dtype, architecture)
    finally:
        llm.close()


@pytest.mark.engine
@pytest.mark.parametrize("architecture", ["gemma2", "gemma3", "gemma3-layer-types"])
def test_sliding_window_matches_reference(tmp_path: Path, architecture: str) -> None:
    """A prompt longer than the 32-token window: the sliding layers see only its last 32."""
    source = tmp_path / "hf"
    model = write_hf_model(source, architecture)
    assert len(prompt_ids(source, LONG_PROMPT)) > model["config"]["sliding_window"]
    llm = convert_and_load(source, "F32")
    try:
        assert_matches_reference(llm, model, source, LONG_PROMPT, "F32", architecture)
    finally:
        llm.close()
