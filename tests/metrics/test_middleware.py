"""`HttpMetricsMiddleware` on a small app: route templates (never raw paths), statuses,
refusals by a middleware inside it, 404 and 405, streams counted when they end."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi import APIRouter, FastAPI
from fastapi.responses import PlainTextResponse, StreamingResponse
from fastapi.testclient import TestClient
from prometheus_client import CollectorRegistry, generate_latest
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pollama.metrics.middleware import UNMATCHED, HttpMetricsMiddleware, route_template
from pollama.metrics.recorder import MetricsRecorder
from pollama.metrics.registry import MetricFamilies
from tests.metrics.parsing import Scrape

REQUESTS = "pollama_http_requests_total"
DURATIONS = "pollama_http_request_duration_seconds_count"


class Refuser:
    """Like the Host/Origin guard: a request with `x-refuse` gets a bare 403."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and any(k == b"x-refuse" for k, _ in scope["headers"]):
            await send({"type": "http.response.start", "status": 403, "headers": []})
            await send({"type": "http.response.body", "body": b""})
            return
        await self.app(scope, receive, send)


def small_app() -> tuple[FastAPI, CollectorRegistry]:
    registry = CollectorRegistry()
    app = FastAPI()
    router = APIRouter()

    @router.get("/items/{item_id}")
    async def item(item_id: str) -> PlainTextResponse:
        return PlainTextResponse(item_id)

    @router.get("/stream")
    async def stream() -> StreamingResponse:
        async def lines() -> AsyncIterator[bytes]:
            for n in range(3):
                yield f"{n}\n".encode()

        return StreamingResponse(lines())

    app.include_router(router)  # an included router, as pollama's routes are
    app.add_middleware(Refuser)
    app.add_middleware(HttpMetricsMiddleware, metrics=MetricsRecorder(MetricFamilies(registry)))
    return app, registry


def scrape(registry: CollectorRegistry) -> Scrape:
    return Scrape(generate_latest(registry).decode())


def test_requests_are_counted_by_route_template_and_status() -> None:
    app, registry = small_app()
    with TestClient(app) as client:
        for item in ("a", "b", "c"):
            assert client.get(f"/items/{item}").status_code == 200
        assert client.get("/stream").text == "0\n1\n2\n"
        assert client.get("/nowhere/at/all").status_code == 404
        assert client.post("/items/a").status_code == 405
        assert client.get("/items/a", headers={"x-refuse": "1"}).status_code == 403
        assert client.get("/nowhere", headers={"x-refuse": "1"}).status_code == 403
        assert client.request("BREW", "/items/a").status_code == 405
    got = scrape(registry).series(REQUESTS)
    assert got == {
        (("method", "GET"), ("route", "/items/{item_id}"), ("status", "200")): 3,
        (("method", "GET"), ("route", "/stream"), ("status", "200")): 1,
        (("method", "GET"), ("route", UNMATCHED), ("status", "404")): 1,
        (("method", "POST"), ("route", "/items/{item_id}"), ("status", "405")): 1,
        (("method", "GET"), ("route", "/items/{item_id}"), ("status", "403")): 1,
        (("method", "GET"), ("route", UNMATCHED), ("status", "403")): 1,
        (("method", "other"), ("route", "/items/{item_id}"), ("status", "405")): 1,
    }
    durations = scrape(registry).series(DURATIONS)
    assert durations[(("route", "/items/{item_id}"),)] == 3 + 1 + 1 + 1  # 200s, 405s, 403
    assert scrape(registry).type_of("pollama_http_request_duration_seconds") == "histogram"


def test_refused_requests_find_their_template_without_the_router() -> None:
    app, _ = small_app()
    scope: dict[str, Any] = {"type": "http", "method": "GET", "path": "/items/x", "app": app}
    scope["root_path"] = ""
    assert route_template(scope) == "/items/{item_id}"
    assert route_template({**scope, "method": "DELETE"}) == "/items/{item_id}"  # a 405
    assert route_template({**scope, "path": "/items/x/y"}) == UNMATCHED
    assert route_template({**scope, "app": None}) == UNMATCHED


class Sink:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, int]] = []

    def http_request(self, method: str, route: str, status: int, seconds: float) -> None:
        assert seconds >= 0
        self.calls.append((method, route, status))


SCOPE: dict[str, Any] = {"type": "http", "method": "GET", "path": "/s", "headers": []}


async def _receive() -> Message:
    return {"type": "http.request", "body": b""}


def test_a_stream_is_counted_when_its_last_body_goes_out() -> None:
    async def scenario() -> None:
        sink = Sink()
        release = asyncio.Event()
        first_body = asyncio.Event()
        counted_before_the_end: list[bool] = []

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            await send({"type": "http.response.start", "status": 201, "headers": []})
            await send({"type": "http.response.body", "body": b"a", "more_body": True})
            await release.wait()
            await send({"type": "http.response.body", "body": b"b"})

        async def send(message: Message) -> None:
            if message.get("more_body"):
                first_body.set()
            elif message["type"] == "http.response.body":
                counted_before_the_end.append(bool(sink.calls))

        task = asyncio.create_task(HttpMetricsMiddleware(app, metrics=sink)(SCOPE, _receive, send))
        await first_body.wait()
        assert sink.calls == []  # mid-stream: not yet
        release.set()
        await task
        assert sink.calls == [("GET", UNMATCHED, 201)]
        assert counted_before_the_end == [True]  # a client with the whole answer sees it

    asyncio.run(scenario())


def test_a_failure_before_any_response_counts_once_as_500() -> None:
    async def scenario() -> None:
        sink = Sink()

        async def app(scope: Scope, receive: Receive, send: Send) -> None:
            raise RuntimeError("boom")

        async def send(message: Message) -> None:
            pass

        with pytest.raises(RuntimeError):
            await HttpMetricsMiddleware(app, metrics=sink)(SCOPE, _receive, send)
        assert sink.calls == [("GET", UNMATCHED, 500)]

    asyncio.run(scenario())


def test_scrapes_are_counted_but_not_timed() -> None:
    registry = CollectorRegistry()
    recorder = MetricsRecorder(MetricFamilies(registry))
    recorder.http_request("GET", "/metrics", 200, 0.5)
    recorder.http_request("GET", "/api/tags", 200, 0.5)
    got = scrape(registry)
    assert got.value(REQUESTS, method="GET", route="/metrics", status="200") == 1
    assert got.series(DURATIONS) == {(("route", "/api/tags"),): 1}
