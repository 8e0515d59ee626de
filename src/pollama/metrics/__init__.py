"""Prometheus metrics: HTTP requests, tokens, latencies, the scheduler and its runners.

`ServerMetrics` (exporter.py) is one app's set, on a registry of its own; the families are
in registry.py, what fills them in recorder.py (fed by the scheduler's events, the serving
layer's usage reports and the HTTP middleware, middleware.py), the scrape-time gauges in
collector.py. `GET /metrics` (`pollama.api.metrics`) serves them; docs/metrics.md lists them.
"""

from pollama.metrics.exporter import CONTENT_TYPE, ServerMetrics
from pollama.metrics.middleware import HttpMetricsMiddleware
from pollama.metrics.recorder import SCRAPE_ROUTE

__all__ = ["CONTENT_TYPE", "SCRAPE_ROUTE", "HttpMetricsMiddleware", "ServerMetrics"]
