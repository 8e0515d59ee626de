"""The memory estimate formula and the fit check: pure, no model."""

from __future__ import annotations

import pytest

from pollama.runner.memory import (
    GiB,
    InsufficientMemory,
    MemoryEstimate,
    MiB,
    ModelShape,
    available_memory,
    check_fits,
    estimate_memory,
    human_bytes,
    kv_cells,
    read_meminfo,
)

GEMMA3_KV = {
    "general.architecture": "gemma3",
    "gemma3.block_count": 18,
    "gemma3.embedding_length": 640,
    "gemma3.feed_forward_length": 2048,
    "gemma3.attention.head_count": 4,
    "gemma3.attention.head_count_kv": 1,
    "gemma3.attention.key_length": 256,
    "gemma3.attention.value_length": 256,
    "gemma3.attention.sliding_window": 512,
    "tokenizer.ggml.tokens": ["t"] * 262144,
}
LLAMA_KV = {
    "general.architecture": "llama",
    "llama.block_count": 32,
    "llama.embedding_length": 4096,
    "llama.feed_forward_length": 14336,
    "llama.attention.head_count": 32,
    "llama.attention.head_count_kv": 8,
    "tokenizer.ggml.tokens": ["t"] * 128256,
}


def gemma() -> ModelShape:
    return ModelShape.from_gguf_kv(GEMMA3_KV, weights_bytes=246_587_904)


def test_shape_from_gguf_metadata() -> None:
    shape = gemma()
    assert shape.n_vocab == 262144 and shape.head_dim_k == 256
    assert shape.sliding_window == 512
    # llama.cpp's gemma3 pattern: every sixth layer is global, the rest sliding-window.
    assert [i for i, swa in enumerate(shape.swa_layers) if not swa] == [5, 11, 17]
    llama = ModelShape.from_gguf_kv(LLAMA_KV, weights_bytes=1)
    assert llama.head_dim_k == 128 and llama.swa_layers == () and llama.n_head_kv == (8,) * 32


def test_kv_cache_matches_llama_cpp_allocation() -> None:
    # llama.cpp reports 48 MiB (3 global layers) + 240 MiB (15 SWA layers) for 4 x 4096 f16.
    estimate = estimate_memory(gemma(), num_ctx=4096, num_parallel=4, swa_full=True)
    assert estimate.kv_cache == 288 * MiB
    # Without a full-size SWA cache each stream has 512 + 512 cells for those layers.
    assert kv_cells(gemma(), 4096, 512, swa_full=False) == (4096, 1024)
    small = estimate_memory(gemma(), num_ctx=4096, num_parallel=4, swa_full=False)
    assert small.kv_cache == 48 * MiB + 60 * MiB
    # Cells per stream are rounded up to 256: 4 x 1000 is allocated as 4 x 1024.
    assert estimate_memory(gemma(), num_ctx=1000, num_parallel=4).kv_cache == 72 * MiB


def test_quantized_kv_types_shrink_the_cache() -> None:
    f16 = estimate_memory(gemma(), num_ctx=4096, kv_cache_type="f16").kv_cache
    q8 = estimate_memory(gemma(), num_ctx=4096, kv_cache_type="q8_0").kv_cache
    q4 = estimate_memory(gemma(), num_ctx=4096, kv_cache_type="q4_0").kv_cache
    assert q8 == pytest.approx(f16 * 1.0625 / 2) and q4 == pytest.approx(f16 * 0.5625 / 2)


def test_llama_style_model_without_sliding_window() -> None:
    shape = ModelShape.from_gguf_kv(LLAMA_KV, weights_bytes=4 * GiB)
    estimate = estimate_memory(shape, num_ctx=8192)
    assert estimate.kv_cache == 8192 * 32 * (128 + 128) * 8 * 2  # 1 GiB, the known figure


def test_compute_estimate_is_close_to_llama_cpp_reports() -> None:
    # Reported by llama.cpp (compute buffer + logits output buffer), flash attention on:
    # 4 x 4096, ubatch 512 -> 25.77 + 4 MiB; 4 x 1000 -> 19.77 + 4 MiB;
    # 2 x 4096, ubatch 128, small SWA cache -> 5.63 + 2 MiB; flash off, 1 x 2048 -> 33.76 + 1.
    def compute(**kwargs: object) -> int:
        return estimate_memory(gemma(), **kwargs).compute  # type: ignore[arg-type]

    assert compute(num_ctx=4096, num_parallel=4) == pytest.approx(29.77 * MiB, rel=0.1)
    assert compute(num_ctx=1000, num_parallel=4) == pytest.approx(23.77 * MiB, rel=0.1)
    assert compute(num_ctx=4096, num_parallel=2, num_batch=128, swa_full=False) == pytest.approx(
        7.63 * MiB, rel=0.1
    )
    assert compute(num_ctx=2048, flash_attention=False) == pytest.approx(34.76 * MiB, rel=0.1)


def test_total_adds_every_part() -> None:
    estimate = MemoryEstimate(weights=1, kv_cache=2, compute=3, overhead=4)
    assert estimate.total == 10


def test_meminfo_and_the_test_override() -> None:
    text = "MemTotal: 100 kB\nMemFree: 10 kB\nMemAvailable:   2048 kB\n"
    assert read_meminfo(text) == 2048 * 1024
    assert available_memory(12345) == 12345  # POLLAMA_MEMORY_LIMIT, through Settings
    assert available_memory() > 0


def test_human_bytes_like_ollama() -> None:
    assert human_bytes(13207024435) == "12.3 GiB"
    assert human_bytes(8697308774) == "8.1 GiB"
    assert human_bytes(5 * MiB) == "5.0 MiB"
    assert human_bytes(512) == "512 B"


def test_check_fits_refuses_with_the_numbers() -> None:
    estimate = MemoryEstimate(weights=13207024435, kv_cache=0, compute=0, overhead=0)
    check_fits(estimate, 13207024435)
    with pytest.raises(InsufficientMemory) as refused:
        check_fits(estimate, 8697308774)
    assert refused.value.status == 500
    assert str(refused.value) == (
        "model requires more system memory (12.3 GiB) than is available (8.1 GiB): "
        "13207024435 bytes required, 8697308774 available"
    )
