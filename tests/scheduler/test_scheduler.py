"""The scheduler with fake runners: sharing, reloads, keep-alive, eviction, the queue bound."""

from __future__ import annotations

import asyncio
import math
from dataclasses import replace
from pathlib import Path

import pytest

from pollama.runner.types import RunnerSpec
from pollama.scheduler import ModelRef, Scheduler, policy
from pollama.scheduler.scheduler import QueueFull
from pollama.settings import Settings


class FakeRunner:
    def __init__(self, spec: RunnerSpec) -> None:
        self.spec = spec
        self.alive = True
        self.closed = False

    async def close(self) -> None:
        self.closed = True
        self.alive = False


class Harness:
    def __init__(self, **settings: object) -> None:
        self.started: list[FakeRunner] = []
        self.load_seconds = 0.0  # how long a fake load takes
        base = Settings()
        self.scheduler = Scheduler(replace(base, **settings), self.start)  # type: ignore[arg-type]

    async def start(self, spec: RunnerSpec) -> FakeRunner:
        await asyncio.sleep(self.load_seconds)
        runner = FakeRunner(spec)
        self.started.append(runner)
        return runner


def ref(name: str, path: str | None = None) -> ModelRef:
    return ModelRef(name=name, digest="d" * 64, details={}, model_path=Path(path or f"/{name}"))


def run(coro: object) -> object:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_names_sharing_a_blob_share_a_runner() -> None:
    async def scenario() -> None:
        h = Harness()
        a = await h.scheduler.acquire(ref("a", "/same"), {}, None)
        b = await h.scheduler.acquire(ref("b", "/same"), {}, None)
        assert a.runner is b.runner and len(h.started) == 1
        await a.release()
        await b.release()
        await h.scheduler.shutdown()

    run(scenario())


def test_load_time_option_change_reloads() -> None:
    async def scenario() -> None:
        h = Harness()
        first = await h.scheduler.acquire(ref("a"), {}, None)
        await first.release()
        same = await h.scheduler.acquire(ref("a"), {"temperature": 0.1}, None)
        await same.release()
        assert len(h.started) == 1  # sampling options never reload
        bigger = await h.scheduler.acquire(ref("a"), {"num_ctx": 8192}, None)
        assert len(h.started) == 2 and h.started[0].closed
        assert bigger.loaded.spec.num_ctx == 8192
        await bigger.release()
        await h.scheduler.shutdown()

    run(scenario())


def test_keep_alive_zero_unloads_after_request() -> None:
    async def scenario() -> None:
        h = Harness()
        lease = await h.scheduler.acquire(ref("a"), {}, 0)
        assert not h.started[0].closed
        await lease.release()
        assert h.started[0].closed and not h.scheduler.loaded

    run(scenario())


def test_keep_alive_expiry_timer() -> None:
    async def scenario() -> None:
        h = Harness()
        lease = await h.scheduler.acquire(ref("a"), {}, 0.05)
        await lease.release()
        assert h.scheduler.loaded
        await asyncio.sleep(0.2)
        assert not h.scheduler.loaded and h.started[0].closed

    run(scenario())


def test_keep_alive_forever() -> None:
    async def scenario() -> None:
        h = Harness()
        lease = await h.scheduler.acquire(ref("a"), {}, math.inf)
        await lease.release()
        assert h.scheduler.running()[0].expires_at == math.inf
        await h.scheduler.shutdown()

    run(scenario())


def test_max_loaded_evicts_the_idle_one_expiring_first() -> None:
    async def scenario() -> None:
        h = Harness(max_loaded_models=2)
        for name, keep in (("a", 100.0), ("b", 10.0)):
            lease = await h.scheduler.acquire(ref(name), {}, keep)
            await lease.release()
        c = await h.scheduler.acquire(ref("c"), {}, None)
        loaded = {r.model.name for r in h.scheduler.running()}
        assert loaded == {"a", "c"}
        await c.release()
        await h.scheduler.shutdown()

    run(scenario())


def test_queue_bound_and_slots() -> None:
    async def scenario() -> None:
        h = Harness(num_parallel=1, max_queue=2)
        holder = await h.scheduler.acquire(ref("a"), {}, None)
        waiting = [asyncio.ensure_future(h.scheduler.acquire(ref("a"), {}, None)) for _ in range(2)]
        await asyncio.sleep(0.01)
        with pytest.raises(QueueFull) as full:
            await h.scheduler.acquire(ref("a"), {}, None)
        assert full.value.status == 503
        assert "maximum pending requests exceeded" in full.value.message
        await holder.release()
        second = await waiting[0]
        await second.release()
        third = await waiting[1]
        await third.release()
        await h.scheduler.shutdown()

    run(scenario())


def test_load_duration_is_the_load_alone_not_the_wait_for_a_slot() -> None:
    async def scenario() -> None:
        h = Harness(num_parallel=1)
        h.load_seconds = 0.05
        first = await h.scheduler.acquire(ref("a"), {}, None)
        assert first.load_duration_ns >= 50_000_000  # this one loaded the model
        second_lease = asyncio.ensure_future(h.scheduler.acquire(ref("a"), {}, None))
        await asyncio.sleep(0.3)
        assert not second_lease.done()  # it waits for the only slot, held by `first`
        await first.release()
        second = await second_lease
        # The model was already loaded: the 0.3 s wait is not load time (Ollama reports ~0).
        assert second.load_duration_ns < 30_000_000
        await second.release()
        await h.scheduler.shutdown()

    run(scenario())


def test_dead_runner_is_replaced() -> None:
    async def scenario() -> None:
        h = Harness()
        lease = await h.scheduler.acquire(ref("a"), {}, None)
        h.started[0].alive = False
        await lease.release()
        again = await h.scheduler.acquire(ref("a"), {}, None)
        assert len(h.started) == 2
        await again.release()
        await h.scheduler.shutdown()

    run(scenario())


def test_stop_unloads_when_idle() -> None:
    async def scenario() -> None:
        h = Harness()
        lease = await h.scheduler.acquire(ref("a"), {}, None)
        assert await h.scheduler.stop(ref("a"))
        assert not h.started[0].closed  # still busy
        await lease.release()
        assert h.started[0].closed
        assert not await h.scheduler.stop(ref("a"))

    run(scenario())


def test_a_lease_block_releases_once_whatever_happens() -> None:
    async def scenario() -> None:
        h = Harness(num_parallel=1)
        async with await h.scheduler.acquire(ref("a"), {}, None) as lease:
            assert h.scheduler.loaded[ref("a").key].in_flight == 1
        assert lease.released and h.scheduler.loaded[ref("a").key].in_flight == 0
        await lease.release()  # a second release does nothing
        assert h.scheduler.loaded[ref("a").key].in_flight == 0
        with pytest.raises(RuntimeError):
            async with await h.scheduler.acquire(ref("a"), {}, None):
                raise RuntimeError("failed while preparing")
        assert h.scheduler.loaded[ref("a").key].in_flight == 0
        await h.scheduler.shutdown()

    run(scenario())


def test_a_handed_over_lease_is_released_by_its_new_owner() -> None:
    async def scenario() -> None:
        h = Harness(num_parallel=1)
        async with await h.scheduler.acquire(ref("a"), {}, None) as lease:
            taken = lease.hand_over()
        assert not taken.released and h.scheduler.loaded[ref("a").key].in_flight == 1
        await taken.release()
        assert h.scheduler.loaded[ref("a").key].in_flight == 0
        await h.scheduler.shutdown()

    run(scenario())


@pytest.mark.parametrize(
    ("requested", "default", "trained", "expected"),
    [(None, 0, None, 4096), (None, 2048, None, 2048), (8192, 0, 4096, 4096), (2, 0, None, 4)],
)
def test_context_length(
    requested: int | None, default: int, trained: int | None, expected: int
) -> None:
    assert policy.context_length(requested, default, trained) == expected


def test_max_loaded_default() -> None:
    assert policy.max_loaded(0) == 3
    assert policy.max_loaded(0, gpu_count=2) == 6
    assert policy.max_loaded(5) == 5


def test_the_draft_model_travels_in_the_spec_and_another_draft_is_another_runner() -> None:
    async def scenario() -> None:
        h = Harness()
        drafted = replace(ref("a", "/same"), draft=Path("/draft"))
        lease = await h.scheduler.acquire(drafted, {}, None)
        assert lease.spec.draft_model == Path("/draft")
        await lease.release()
        plain = await h.scheduler.acquire(ref("b", "/same"), {}, None)
        other = await h.scheduler.acquire(replace(drafted, draft=Path("/other")), {}, None)
        assert len(h.started) == 3 and len({plain.runner, other.runner, lease.runner}) == 3
        assert (plain.spec.draft_model, other.spec.draft_model) == (None, Path("/other"))
        await plain.release()
        await other.release()
        again = await h.scheduler.acquire(drafted, {}, None)
        assert again.runner is lease.runner and len(h.started) == 3
        await again.release()
        await h.scheduler.shutdown()

    run(scenario())


def test_a_loaded_runner_with_another_draft_needs_a_reload() -> None:
    loaded = RunnerSpec(model_path=Path("/m"), draft_model=Path("/d"))
    assert not policy.needs_reload(loaded, loaded, {})
    assert policy.needs_reload(loaded, replace(loaded, draft_model=None), {})
    assert policy.needs_reload(loaded, replace(loaded, draft_model=Path("/e")), {})


def test_fast_by_default_batch_invariant_on_request() -> None:
    async def scenario(**settings: object) -> RunnerSpec:
        h = Harness(**settings)
        lease = await h.scheduler.acquire(replace(ref("a"), draft=Path("/draft")), {}, None)
        await lease.release()
        await h.scheduler.shutdown()
        return lease.spec

    fast = run(scenario())
    assert isinstance(fast, RunnerSpec)
    assert (fast.batch_invariant, fast.repack_weights, fast.draft_model) == (
        False, True, Path("/draft"),
    )  # fmt: skip
    exact = run(scenario(batch_invariant=True))
    assert isinstance(exact, RunnerSpec)
    # no repacked weights; the draft model still speculates (exactly, in that mode)
    assert (exact.batch_invariant, exact.repack_weights, exact.draft_model) == (
        True, False, Path("/draft"),
    )  # fmt: skip
