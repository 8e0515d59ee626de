"""The scheduler's events and the scrape-time gauges, over scripted runners: loads and their
duration, unloads, evictions, crashes, the queue, slots and KV cells."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest

from pollama.metrics import ServerMetrics
from pollama.metrics import collector as gauges
from pollama.runner.scripted import ScriptedRunner, ScriptedRunners
from pollama.runner.types import GenerateParams, RunnerSpec
from pollama.scheduler import ModelRef, Scheduler
from pollama.settings import Settings
from tests.metrics.parsing import Scrape

LOADS = "pollama_model_loads_total"
UNLOADS = "pollama_model_unloads_total"
EVICTIONS = "pollama_model_evictions_total"
CRASHES = "pollama_runner_crashes_total"
LOAD_TIMES = "pollama_model_load_duration_seconds_count"


def ref(name: str) -> ModelRef:
    return ModelRef(name=name, digest="d" * 64, details={}, model_path=Path(f"/models/{name}"))


def run(
    tmp_path: Path,
    scenario: Callable[[Scheduler, ScriptedRunners, ServerMetrics], Awaitable[None]],
    runners: ScriptedRunners | None = None,
    **env: str,
) -> None:
    settings = Settings.from_env(
        {"HOME": str(tmp_path), "OLLAMA_MODELS": str(tmp_path / "models"), **env}
    )
    runners = runners or ScriptedRunners()
    scheduler = Scheduler(settings, runners)
    metrics = ServerMetrics(scheduler)

    async def whole() -> None:
        try:
            await scenario(scheduler, runners, metrics)
        finally:
            await scheduler.shutdown()

    asyncio.run(whole())


async def scrape(metrics: ServerMetrics) -> Scrape:
    return Scrape((await metrics.exposition()).decode())


def test_loads_unloads_evictions_and_crashes_are_counted(tmp_path: Path) -> None:
    async def scenario(
        scheduler: Scheduler, runners: ScriptedRunners, metrics: ServerMetrics
    ) -> None:
        async with await scheduler.acquire(ref("a:1"), {}, None):
            pass
        async with await scheduler.acquire(ref("a:1"), {}, None):
            pass  # the loaded runner serves it: no second load
        got = await scrape(metrics)
        assert got.value(LOADS, model="a:1") == 1 and got.value(LOAD_TIMES, model="a:1") == 1
        assert got.value(UNLOADS, model="a:1") == 0

        async with await scheduler.acquire(ref("b:1"), {}, None):
            pass  # one model at most: a is evicted for b
        got = await scrape(metrics)
        assert got.value(LOADS, model="b:1") == 1
        assert got.value(UNLOADS, model="a:1") == 1 and got.value(EVICTIONS, model="a:1") == 1

        assert await scheduler.stop(ref("b:1"))  # keep_alive 0: unloaded, not evicted
        got = await scrape(metrics)
        assert got.value(UNLOADS, model="b:1") == 1 and got.value(EVICTIONS, model="b:1") == 0

        async with await scheduler.acquire(ref("a:1"), {}, None):
            pass
        runners.latest.kill()  # the runner dies on its own
        got = await scrape(metrics)
        assert got.value(CRASHES, model="a:1") == 1 and got.value(LOADS, model="a:1") == 2
        assert got.value(CRASHES, model="b:1") == 0  # closed by the scheduler: no crash
        assert got.type_of("pollama_model_load_duration_seconds") == "histogram"

    run(tmp_path, scenario, OLLAMA_MAX_LOADED_MODELS="1")


def test_a_runner_killed_mid_generation_counts_one_crash(tmp_path: Path) -> None:
    async def scenario(
        scheduler: Scheduler, runners: ScriptedRunners, metrics: ServerMetrics
    ) -> None:
        lease = await scheduler.acquire(ref("a:1"), {}, None)
        runners.latest.fail(after=1, die=True)
        with pytest.raises(Exception, match="terminated"):
            async for _ in lease.runner.generate(GenerateParams(prompt="hi")):
                pass
        await lease.release()  # the dead runner is cleared away: an unload, not a crash
        got = await scrape(metrics)
        assert got.value(CRASHES, model="a:1") == 1
        assert got.value(UNLOADS, model="a:1") == 1

    run(tmp_path, scenario)


def test_gauges_ask_the_scheduler_and_its_runners_when_scraped(tmp_path: Path) -> None:
    async def scenario(
        scheduler: Scheduler, runners: ScriptedRunners, metrics: ServerMetrics
    ) -> None:
        lease = await scheduler.acquire(ref("a:1"), {"num_ctx": 64}, None)
        stream = lease.runner.generate(GenerateParams(prompt="one two three"))
        assert not (await anext(stream)).done  # generating now
        waiting = asyncio.create_task(scheduler.acquire(ref("a:1"), {"num_ctx": 64}, None))
        while scheduler.pending == 0:  # the second request queues for the only slot
            await asyncio.sleep(0)
        got = await scrape(metrics)
        assert got.value("pollama_queue_depth") == 1
        assert got.value("pollama_active_slots", model="a:1") == 1
        assert got.value("pollama_kv_cells_total", model="a:1") == 64
        async for _ in stream:
            pass
        await lease.release()
        second = await waiting
        got = await scrape(metrics)
        assert got.value("pollama_queue_depth") == 0
        assert got.value("pollama_active_slots", model="a:1") == 0
        # The scripted runner holds its last prompt (BOS + 3 words) and reply ("Hello world!").
        assert got.value("pollama_kv_cells_used", model="a:1") == 6
        await second.release()

    run(tmp_path, scenario, OLLAMA_NUM_PARALLEL="1")


class SilentRunner(ScriptedRunner):
    async def health(self) -> dict[str, Any]:
        await asyncio.Event().wait()  # never answers
        return {}


class SilentRunners(ScriptedRunners):
    async def __call__(self, spec: RunnerSpec) -> ScriptedRunner:
        runner = SilentRunner(spec, tokenizer=self.tokenizer)
        self.started.append(runner)
        return runner


def test_a_runner_that_does_not_answer_is_left_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gauges, "HEALTH_TIMEOUT", 0.01)

    async def scenario(
        scheduler: Scheduler, runners: ScriptedRunners, metrics: ServerMetrics
    ) -> None:
        async with await scheduler.acquire(ref("a:1"), {}, None):
            pass
        got = await scrape(metrics)
        assert got.series("pollama_kv_cells_total") == {}
        assert got.value("pollama_queue_depth") == 0
        assert got.value(LOADS, model="a:1") == 1

    run(tmp_path, scenario, SilentRunners())
