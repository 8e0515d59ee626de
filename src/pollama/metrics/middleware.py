"""ASGI middleware counting every HTTP request by method, route template and status.

It sits outermost (beside the request log), so requests the Host/Origin guard, the body
limit or any later check refuses are counted too. The route is the template the request
matches (`/api/blobs/{digest}`), never the raw path, so a client cannot grow the number of
series; a path no route matches is `unmatched`. A response is counted when its last body
message is about to go out (a stream's end), with the status of its `http.response.start`:
by the time a client has the whole answer it is counted. A request that ends without one
(a failure before answering, a client gone mid-stream) is counted when the app returns.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from typing import Any, Protocol

from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

UNMATCHED = "unmatched"
# Methods are a label too: anything else a client invents is `other`.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class RequestSink(Protocol):
    def http_request(self, method: str, route: str, status: int, seconds: float) -> None: ...


def route_template(scope: Scope) -> str:
    """The path template of the route that took (or would take) the request; a route that
    matches the path but not the method (a 405) counts as matched."""
    path = getattr(scope.get("route"), "path", None)  # set by the router once it routed
    if isinstance(path, str):
        return path
    # Not routed (refused before the router): match the app's routes here.
    partial: str | None = None
    for route in _routes(getattr(getattr(scope.get("app"), "router", None), "routes", [])):
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return _template(route)
        if match is Match.PARTIAL and partial is None:
            partial = _template(route)
    return partial or UNMATCHED


def _routes(routes: Iterable[Any]) -> Iterator[Any]:
    """The routes to match, in order. FastAPI keeps an included router as one entry whose
    `effective_route_contexts` are its routes with the include's prefix applied."""
    for route in routes:
        contexts = getattr(route, "effective_route_contexts", None)
        if callable(contexts):
            yield from contexts()
        else:
            yield route


def _template(route: Any) -> str:
    return str(getattr(route, "path_format", None) or route.path)


class HttpMetricsMiddleware:
    def __init__(self, app: ASGIApp, *, metrics: RequestSink) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server answers when the app fails before a response
        counted = False

        def count() -> None:
            nonlocal counted
            if not counted:
                counted = True
                method = str(scope["method"]).upper()
                method = method if method in METHODS else "other"
                seconds = time.perf_counter() - started
                self.metrics.http_request(method, route_template(scope), status, seconds)

        async def counting_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                count()
            await send(message)

        try:
            await self.app(scope, receive, counting_send)
        finally:
            count()
