"""The gauges, computed when scraped: the scheduler's queue, and what each loaded runner says
of itself (its `health` answer: sequences generating, KV cache cells used and in all).

Runners are asked before the registry is rendered (`refresh`, async, each bounded by
`HEALTH_TIMEOUT`); one that does not answer in time, or is dead, is left out of that scrape.
Several runners of one model name (rare: a model re-created while its old weights are still
loaded) are summed, so every label set appears once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass

from prometheus_client.metrics_core import GaugeMetricFamily, Metric

from pollama.scheduler import LoadedRunner, Scheduler

HEALTH_TIMEOUT = 1.0  # seconds a runner has to answer a scrape's health call


@dataclass(frozen=True)
class RunnerState:
    model: str
    active: int  # sequences being generated
    kv_used: int
    kv_total: int


async def _state(loaded: LoadedRunner) -> RunnerState | None:
    if not loaded.runner.alive:
        return None
    try:
        health = await asyncio.wait_for(loaded.runner.health(), HEALTH_TIMEOUT)
        return RunnerState(
            loaded.model.name,
            int(health.get("active", 0)),
            int(health.get("kv_used", 0)),
            int(health.get("kv_total", 0)),
        )
    except Exception:  # busy past the timeout, dying, or a runner that reports less
        return None


async def runner_states(scheduler: Scheduler) -> list[RunnerState]:
    """What every loaded runner that answers in time says, asked all at once."""
    answers = await asyncio.gather(*(_state(loaded) for loaded in scheduler.running()))
    return [state for state in answers if state is not None]


class SchedulerCollector:
    """Queue depth from the scheduler; slots and KV cells from the runners' last answers."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.scheduler = scheduler
        self.states: list[RunnerState] = []

    async def refresh(self) -> None:
        self.states = await runner_states(self.scheduler)

    def describe(self) -> Iterator[Metric]:
        yield from self._families()

    def collect(self) -> Iterator[Metric]:
        queue, active, used, total = self._families()
        queue.add_metric([], self.scheduler.pending)
        sums: dict[str, list[int]] = {}
        for state in self.states:
            counts = sums.setdefault(state.model, [0, 0, 0])
            counts[0] += state.active
            counts[1] += state.kv_used
            counts[2] += state.kv_total
        for model, (slots, kv_used, kv_total) in sorted(sums.items()):
            active.add_metric([model], slots)
            used.add_metric([model], kv_used)
            total.add_metric([model], kv_total)
        yield from (queue, active, used, total)

    @staticmethod
    def _families() -> tuple[GaugeMetricFamily, ...]:
        return (
            GaugeMetricFamily(
                "pollama_queue_depth",
                "Requests waiting in the scheduler for a runner or one of its slots",
            ),
            GaugeMetricFamily(
                "pollama_active_slots", "Sequences being generated, by model", labels=["model"]
            ),
            GaugeMetricFamily(
                "pollama_kv_cells_used",
                "KV cache cells holding tokens (cached prefixes included), by model",
                labels=["model"],
            ),
            GaugeMetricFamily(
                "pollama_kv_cells_total", "KV cache cells of the loaded context", labels=["model"]
            ),
        )
