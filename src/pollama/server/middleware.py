"""ASGI middleware: Ollama's DNS-rebinding guard and its CORS rules (server/routes.go), the body
limit, and the boundary that turns an unexpected exception into a JSON error."""

from __future__ import annotations

import logging

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pollama.errors import PollamaError
from pollama.server.guards import host_header_allowed, origin_allowed

log = logging.getLogger(__name__)

ALLOWED_METHODS = "GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS"
ALLOWED_HEADERS = ", ".join(
    ["Authorization", "Content-Type", "User-Agent", "Accept", "X-Requested-With", "OpenAI-Beta"]
    + [
        f"x-stainless-{suffix}"
        for suffix in (
            "arch",
            "async",
            "custom-poll-interval",
            "helper-method",
            "lang",
            "os",
            "package-version",
            "poll-helper",
            "retry-count",
            "runtime",
            "runtime-version",
            "timeout",
        )
    ]
)


async def _bare(send: Send, status: int) -> None:
    await send({"type": "http.response.start", "status": status, "headers": []})
    await send({"type": "http.response.body", "body": b""})


class GuardMiddleware:
    def __init__(self, app: ASGIApp, *, origins: list[str], loopback: bool) -> None:
        self.app = app
        self.origins = origins
        self.loopback = loopback

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if not host_header_allowed(headers.get("host", ""), self.loopback):
            await _bare(send, 403)
            return
        origin = headers.get("origin")
        if origin is None:
            if scope["method"] == "OPTIONS":
                await _bare(send, 204)
                return
            await self.app(scope, receive, send)
            return
        if not origin_allowed(origin, self.origins):
            await _bare(send, 403)
            return
        cors = [
            (b"access-control-allow-origin", origin.encode()),
            (b"vary", b"Origin"),
        ]
        if scope["method"] == "OPTIONS":
            cors += [
                (b"access-control-allow-methods", ALLOWED_METHODS.encode()),
                (b"access-control-allow-headers", ALLOWED_HEADERS.encode()),
                (b"access-control-max-age", b"43200"),
            ]
            await send({"type": "http.response.start", "status": 204, "headers": cors})
            await send({"type": "http.response.body", "body": b""})
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *cors]}
            await send(message)

        await self.app(scope, receive, send_with_cors)


class RequestTooLarge(PollamaError):
    """A request body over `POLLAMA_MAX_REQUEST_SIZE` (413); the connection is then closed."""

    status = 413

    def __init__(self, limit: int) -> None:
        super().__init__(
            f"http: request body too large (the limit is {limit} bytes, "
            "set by POLLAMA_MAX_REQUEST_SIZE)"
        )


def _streamed_to_disk(scope: Scope) -> bool:
    """Blob uploads are written to a file as they arrive: no JSON limit applies to them."""
    return scope["method"] == "POST" and str(scope["path"]).startswith("/api/blobs/")


def _declared_length(headers: Headers) -> int | None:
    value = headers.get("content-length", "").strip()
    return int(value) if value.isdigit() else None


async def _send_error(scope: Scope, receive: Receive, send: Send, error: PollamaError) -> None:
    from pollama.server.error_shapes import error_for  # the API modules import this package

    response = error_for(Request(scope), error)
    if error.status == 413:
        response.headers["connection"] = "close"  # the unread body must not become a request
    await response(scope, receive, send)


class BodyLimitMiddleware:
    """Refuse a body over `limit` bytes with a 413 before it is read into memory: at once when
    Content-Length says so, else (chunked) as soon as the bytes received pass the limit."""

    def __init__(self, app: ASGIApp, *, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.limit <= 0 or _streamed_to_disk(scope):
            await self.app(scope, receive, send)
            return
        declared = _declared_length(Headers(scope=scope))
        if declared is not None and declared > self.limit:
            await _send_error(scope, receive, send, RequestTooLarge(self.limit))
            return
        received = 0
        refused = False

        async def counting_receive() -> Message:
            nonlocal received, refused
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.limit:
                    refused = True
                    raise RequestTooLarge(self.limit)
            return message

        async def closing_send(message: Message) -> None:
            if refused and message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), _CLOSE]}
            await send(message)

        await self.app(scope, counting_receive, closing_send)


_CLOSE = (b"connection", b"close")


class ErrorBoundary:
    """An unexpected exception becomes a JSON 500 in the API's error shape instead of a
    plain-text page, so the client learns something and the connection stays usable (once
    a response has begun, the connection is dropped as before: the body is torn)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:
                raise
            log.exception("%s %s: unexpected error", scope["method"], scope["path"])
            detail = str(exc)
            message = f"internal server error: {detail}" if detail else "internal server error"
            await _send_error(scope, receive, send, PollamaError(message))
