"""One log line per request, as Ollama's gin logger writes it:

    [GIN] 2024/05/01 - 12:00:00 | 200 |    1.234567ms |       127.0.0.1 | POST     "/api/chat"

The time is when the response ended (a stream's last byte), the latency Go's duration text.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pollama.go.strconv import quote as go_quote
from pollama.go.time import format_go_duration

log = logging.getLogger("pollama.requests")

_MINUTE_NS = 60 * 10**9
_SECOND_NS = 10**9


def gin_line(
    *, when: datetime, status: int, latency_ns: int, client: str, method: str, path: str
) -> str:
    """gin's LoggerWithFormatter default, colours off."""
    if latency_ns > _MINUTE_NS:  # gin truncates long latencies to whole seconds
        latency_ns -= latency_ns % _SECOND_NS
    stamp = when.strftime("%Y/%m/%d - %H:%M:%S")
    latency = format_go_duration(latency_ns)
    return (
        f"[GIN] {stamp} | {status:3d} | {latency:>13} | {client:>15} | "
        f"{method:<7}  {go_quote(path)}"
    )


def _target(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    query = scope.get("query_string", b"")
    return f"{path}?{query.decode('latin-1')}" if query else path


class RequestLogMiddleware:
    """The outermost middleware: every request is logged, refused ones included."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter_ns()
        status = 500  # what the server answers when the app fails before a response

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            client = scope.get("client")
            log.info(
                "%s",
                gin_line(
                    when=datetime.now(),
                    status=status,
                    latency_ns=time.perf_counter_ns() - started,
                    client=client[0] if client else "",
                    method=str(scope["method"]),
                    path=_target(scope),
                ),
            )
