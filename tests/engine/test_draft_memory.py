"""A draft model in the memory plan: its weights, and its own KV cache and compute for the same
slots and context. Pure (the GGUF headers are read, nothing is loaded)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from pollama.runner.memory import (
    draft_bytes,
    estimate_memory,
    memory_fits,
    plan_memory,
    read_model_shape,
)
from pollama.runner.types import RunnerSpec
from tests.fixtures.synthetic_gguf import write_tiny_gguf

# A draft a little bigger than the tiny model: 4 layers of 64, 4 KV heads.
DRAFT_KV = {
    "llama.block_count": 4,
    "llama.embedding_length": 64,
    "llama.feed_forward_length": 128,
    "llama.attention.head_count": 4,
    "llama.attention.head_count_kv": 4,
}


def specs(tmp_path: Path) -> tuple[RunnerSpec, RunnerSpec]:
    model = write_tiny_gguf(tmp_path / "model.gguf")
    draft = write_tiny_gguf(tmp_path / "draft.gguf", extra_kv=DRAFT_KV)
    plain = RunnerSpec(model_path=model, num_ctx=2048, num_parallel=2)
    return plain, replace(plain, draft_model=draft)


def test_the_draft_counts_its_weights_kv_cache_and_compute(tmp_path: Path) -> None:
    plain, drafted = specs(tmp_path)
    assert drafted.draft_model is not None
    shape = read_model_shape(drafted.draft_model)
    alone = estimate_memory(shape, num_ctx=2048, num_parallel=2, num_batch=drafted.num_batch)
    # slots x cells x layers x (k + v head dims) x KV heads x f16 bytes
    assert alone.kv_cache == 2 * 2048 * 4 * (16 + 16) * 4 * 2
    assert draft_bytes(drafted) == alone.weights + alone.kv_cache + alone.compute
    assert plan_memory(plain).draft == 0
    planned = plan_memory(drafted)
    assert planned.draft == draft_bytes(drafted)
    assert planned.total == plan_memory(plain).total + planned.draft


def test_its_kv_cache_grows_with_the_slots_and_the_context(tmp_path: Path) -> None:
    _, drafted = specs(tmp_path)
    more_slots = draft_bytes(replace(drafted, num_parallel=4))
    longer = draft_bytes(replace(drafted, num_ctx=4096))
    assert more_slots > draft_bytes(drafted) and longer > draft_bytes(drafted)


def test_the_fit_check_counts_the_draft(tmp_path: Path) -> None:
    plain, drafted = specs(tmp_path)
    limit = plan_memory(plain).total + draft_bytes(drafted) // 2
    assert memory_fits(replace(plain, memory_limit=limit))
    assert not memory_fits(replace(drafted, memory_limit=limit))


def test_an_unreadable_draft_counts_nothing(tmp_path: Path) -> None:
    plain, _ = specs(tmp_path)
    (tmp_path / "junk.gguf").write_bytes(b"not a gguf")
    assert draft_bytes(replace(plain, draft_model=tmp_path / "junk.gguf")) == 0
    assert draft_bytes(replace(plain, draft_model=tmp_path / "missing.gguf")) == 0
