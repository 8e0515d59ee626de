"""Fitting a load into memory: fewer slots, then a smaller context, never below explicit values;
the trained-context clamp; the refusal that names the knobs."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from pollama.runner.memory import (
    InsufficientMemory,
    MemoryEstimate,
    ModelShape,
    check_fits,
    estimate_memory,
)
from pollama.runner.types import RunnerSpec
from pollama.scheduler import ModelRef, Scheduler, policy
from pollama.settings import Settings
from tests.engine.test_memory import GEMMA3_KV

# gemma3:270m's tensor bytes, as the GGUF reports them.
GEMMA_WEIGHTS = 246_587_904
AUTOMATIC = {"ctx_explicit": False, "parallel_explicit": False}


def spec(num_ctx: int = 4096, num_parallel: int = 4) -> RunnerSpec:
    return RunnerSpec(model_path=Path("/m"), num_ctx=num_ctx, num_parallel=num_parallel)


def cells_fit(budget: int) -> Callable[[RunnerSpec], bool]:
    """A memory model where a spec costs its KV cells (slots x context)."""
    return lambda s: s.num_parallel * s.num_ctx <= budget


def gemma_estimate(s: RunnerSpec) -> MemoryEstimate:
    shape = ModelShape.from_gguf_kv(GEMMA3_KV, weights_bytes=GEMMA_WEIGHTS)
    return estimate_memory(
        shape, num_ctx=s.num_ctx, num_parallel=s.num_parallel, num_batch=s.num_batch
    )


def test_a_spec_that_fits_is_kept() -> None:
    wanted = spec()
    assert policy.fit_spec(wanted, cells_fit(16384), **AUTOMATIC) is wanted


def test_slots_shrink_first_keeping_the_context() -> None:
    assert policy.fit_spec(spec(), cells_fit(9000), **AUTOMATIC) == spec(4096, 2)


def test_then_the_largest_context_that_fits_with_one_slot() -> None:
    # The largest multiple of 256 within the budget.
    assert policy.fit_spec(spec(), cells_fit(3000), **AUTOMATIC) == spec(2816, 1)


def test_an_automatic_context_stops_at_the_floor() -> None:
    assert policy.fit_spec(spec(), cells_fit(2048), **AUTOMATIC) == spec(2048, 1)
    assert policy.fit_spec(spec(), cells_fit(2047), **AUTOMATIC) is None
    assert policy.smallest_spec(spec(), **AUTOMATIC) == spec(2048, 1)
    # A context already below the floor (a small trained context) is not cut further.
    assert policy.fit_spec(spec(1024, 4), cells_fit(1000), **AUTOMATIC) is None


def test_explicit_values_never_shrink() -> None:
    # An explicit num_ctx keeps its size: only slots may go.
    assert policy.fit_spec(
        spec(8192, 4), cells_fit(9000), ctx_explicit=True, parallel_explicit=False
    ) == spec(8192, 1)
    assert (
        policy.fit_spec(spec(8192, 4), cells_fit(8000), ctx_explicit=True, parallel_explicit=False)
        is None
    )
    # An explicit OLLAMA_NUM_PARALLEL keeps its slots: only the automatic context may go.
    assert policy.fit_spec(
        spec(4096, 4), cells_fit(9000), ctx_explicit=False, parallel_explicit=True
    ) == spec(2048, 4)
    assert (
        policy.fit_spec(spec(4096, 4), cells_fit(8000), ctx_explicit=False, parallel_explicit=True)
        is None
    )
    both = {"ctx_explicit": True, "parallel_explicit": True}
    assert policy.fit_spec(spec(), cells_fit(100), **both) is None
    assert policy.smallest_spec(spec(), **both) == spec()


def test_gemma_in_500_mb_loads_with_one_slot() -> None:
    # The case: 4 slots x 4096 need ~684 MB, one slot fits in POLLAMA_MEMORY_LIMIT.
    limit = 500_000_000

    def fits(s: RunnerSpec) -> bool:
        return gemma_estimate(s).total <= limit

    assert not fits(spec())
    assert policy.fit_spec(spec(), fits, **AUTOMATIC) == spec(4096, 1)


def test_oversized_context_is_reported_for_the_clamp_log() -> None:
    assert policy.oversized_context(100_000, 0, 32768) == 100_000
    assert policy.oversized_context(None, 65536, 32768) == 65536
    assert policy.oversized_context(8192, 0, 32768) is None
    assert policy.oversized_context(8192, 0, None) is None


# ---- the scheduler applying it --------------------------------------------------------------


class FakeRunner:
    def __init__(self, spec: RunnerSpec) -> None:
        self.spec = spec
        self.alive = True

    async def close(self) -> None:
        self.alive = False


class MemoryHarness:
    """A scheduler whose runners "need" `gemma_estimate` bytes out of `limit`."""

    def __init__(self, limit: int, **settings: object) -> None:
        self.limit = limit
        self.started: list[RunnerSpec] = []
        base = replace(Settings(), **settings)  # type: ignore[arg-type]
        self.scheduler = Scheduler(base, self.start, fits=self.fits)

    def fits(self, s: RunnerSpec) -> bool:
        return gemma_estimate(s).total <= self.limit

    async def start(self, s: RunnerSpec) -> FakeRunner:
        check_fits(gemma_estimate(s), self.limit)  # what RunnerClient.start does
        self.started.append(s)
        return FakeRunner(s)


def gemma_ref(trained_ctx: int | None = 32768) -> ModelRef:
    return ModelRef(
        name="gemma3:270m",
        digest="d" * 64,
        details={},
        model_path=Path("/gemma"),
        trained_ctx=trained_ctx,
    )


def test_scheduler_loads_with_fewer_slots_logs_it_and_keeps_the_runner(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        h = MemoryHarness(500_000_000)
        with caplog.at_level(logging.WARNING, logger="pollama.scheduler.scheduler"):
            lease = await h.scheduler.acquire(gemma_ref(), {}, None)
        assert (lease.loaded.spec.num_parallel, lease.loaded.spec.num_ctx) == (1, 4096)
        assert "loading it with 1 parallel slot of 4096 tokens" in caplog.text
        await lease.release()
        # The next automatic request uses the reduced runner: no reload.
        again = await h.scheduler.acquire(gemma_ref(), {"temperature": 1}, None)
        assert len(h.started) == 1
        await again.release()
        await h.scheduler.shutdown()

    asyncio.run(scenario())


def test_scheduler_refusal_names_the_numbers_and_the_knobs() -> None:
    async def scenario() -> None:
        h = MemoryHarness(500_000_000)
        with pytest.raises(InsufficientMemory) as refused:
            await h.scheduler.acquire(gemma_ref(), {"num_ctx": 32768}, None)
        message = refused.value.message
        assert message.startswith("model requires more system memory (")
        assert "500000000 available" in message
        assert "1 parallel slot of 32768 tokens" in message  # explicit num_ctx kept
        assert message.endswith("lower num_ctx or OLLAMA_NUM_PARALLEL")
        assert not h.scheduler.loaded and not h.started

    asyncio.run(scenario())


def test_explicit_num_parallel_is_not_cut() -> None:
    async def scenario() -> None:
        settings = Settings.from_env({"OLLAMA_NUM_PARALLEL": "4"})
        h = MemoryHarness(600_000_000, num_parallel_explicit=settings.num_parallel_explicit)
        lease = await h.scheduler.acquire(gemma_ref(), {}, None)
        # 4 slots stay (2 x 4096 would fit); the automatic context shrinks instead.
        assert (lease.loaded.spec.num_parallel, lease.loaded.spec.num_ctx) == (4, 2816)
        await lease.release()
        # In 500 MB not even 4 x 2048 fits: refused, naming what was tried.
        small = MemoryHarness(500_000_000, num_parallel_explicit=True)
        with pytest.raises(InsufficientMemory) as refused:
            await small.scheduler.acquire(gemma_ref(), {}, None)
        assert "4 parallel slots of 2048 tokens" in refused.value.message
        await h.scheduler.shutdown()

    assert Settings.from_env({"OLLAMA_NUM_PARALLEL": "4"}).num_parallel_explicit
    assert not Settings.from_env({}).num_parallel_explicit
    asyncio.run(scenario())


def test_num_ctx_above_the_trained_context_is_clamped_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> None:
        h = MemoryHarness(10**12)
        with caplog.at_level(logging.WARNING, logger="pollama.scheduler.scheduler"):
            lease = await h.scheduler.acquire(gemma_ref(32768), {"num_ctx": 100_000}, None)
        assert lease.loaded.spec.num_ctx == 32768
        assert "requested context size too large for model" in caplog.text
        assert "num_ctx=100000 n_ctx_train=32768" in caplog.text
        await lease.release()
        await h.scheduler.shutdown()

    asyncio.run(scenario())


def test_num_batch_is_capped_at_the_kv_cache() -> None:
    """A huge num_batch (2**40) would make llama.cpp fail to allocate its context: it is capped
    at what the KV cache can hold; an ordinary one is kept."""
    common = {
        "default_ctx": 4096,
        "trained_ctx": 32768,
        "kv_cache_type": "f16",
        "flash_attention": None,
    }
    huge = policy.runner_spec(Path("/m"), {"num_batch": 2**40}, num_parallel=4, **common)
    assert huge.num_batch == 4096 * 4
    usual = policy.runner_spec(Path("/m"), {"num_batch": 256}, num_parallel=4, **common)
    assert usual.num_batch == 256
