"""`GET /metrics`: the server's metrics in Prometheus text format (pollama's addition)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama.metrics import CONTENT_TYPE, SCRAPE_ROUTE, ServerMetrics

router = APIRouter()


@router.get(SCRAPE_ROUTE)
async def metrics(request: Request) -> Response:
    server_metrics: ServerMetrics = request.app.state.metrics
    return Response(await server_metrics.exposition(), media_type=CONTENT_TYPE)
