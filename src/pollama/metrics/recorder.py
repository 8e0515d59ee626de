"""Counting what the server reports into the metric families.

`MetricsRecorder` is the scheduler's `SchedulerEvents` (loads, unloads, evictions, crashes),
the serving layer's `UsageObserver` (tokens, first-token time, gaps between tokens) and the
HTTP middleware's sink (requests by route and status), all on one `MetricFamilies`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pollama.metrics.registry import MetricFamilies

if TYPE_CHECKING:
    from pollama.scheduler.events import SchedulerEvents
    from pollama.serving.usage import UsageObserver

SCRAPE_ROUTE = "/metrics"


class MetricsRecorder:
    def __init__(self, families: MetricFamilies) -> None:
        self.families = families

    # ---- HTTP ----------------------------------------------------------------------------

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        """One answered request. Scrapes are counted but not timed: a scraper's own requests
        would otherwise weigh in every latency quantile of the server."""
        self.families.http_requests.labels(method, route, str(status)).inc()
        if route != SCRAPE_ROUTE:
            self.families.http_duration.labels(route).observe(seconds)

    # ---- usage (serving.usage.UsageObserver) ----------------------------------------------

    def first_token(self, model: str, seconds: float) -> None:
        self.families.time_to_first_token.labels(model).observe(seconds)

    def token_gaps(self, model: str, seconds: float, count: int) -> None:
        latency = self.families.inter_token_latency.labels(model)
        for _ in range(count):
            latency.observe(seconds)

    def completed(self, model: str, *, prompt: int, generated: int, cached: int) -> None:
        self.families.prompt_tokens.labels(model).inc(prompt)
        self.families.generated_tokens.labels(model).inc(generated)
        self.families.cache_hit_tokens.labels(model).inc(cached)

    # ---- scheduler events (scheduler.events.SchedulerEvents) -------------------------------

    def model_loaded(self, model: str, seconds: float) -> None:
        self.families.model_loads.labels(model).inc()
        self.families.model_load_duration.labels(model).observe(seconds)

    def model_unloaded(self, model: str, *, evicted: bool) -> None:
        self.families.model_unloads.labels(model).inc()
        if evicted:
            self.families.model_evictions.labels(model).inc()

    def runner_crashed(self, model: str) -> None:
        self.families.runner_crashes.labels(model).inc()


if TYPE_CHECKING:  # mypy holds the recorder to both observer protocols
    _is_scheduler_events: type[SchedulerEvents] = MetricsRecorder
    _is_usage_observer: type[UsageObserver] = MetricsRecorder
