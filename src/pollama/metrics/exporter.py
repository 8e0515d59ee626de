"""One server's metrics: its own registry, the families, the scrape-time gauges and the text a
scrape gets (Prometheus text format 0.0.4)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest

from pollama.metrics.collector import SchedulerCollector
from pollama.metrics.recorder import MetricsRecorder
from pollama.metrics.registry import MetricFamilies
from pollama.scheduler import Scheduler

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class ServerMetrics(MetricsRecorder):
    """The metrics of the server around `scheduler`, which reports its events here from now
    on (the app keeps this as `app.state.metrics`, where the serving layer finds it)."""

    def __init__(self, scheduler: Scheduler) -> None:
        self.registry = CollectorRegistry()
        super().__init__(MetricFamilies(self.registry))
        self.gauges = SchedulerCollector(scheduler)
        self.registry.register(self.gauges)
        scheduler.events = self

    async def exposition(self) -> bytes:
        """The scrape's text: the runners are asked first, then everything is rendered at
        once (no await in between, so a concurrent scrape cannot mix in its answers)."""
        await self.gauges.refresh()
        return generate_latest(self.registry)
