"""The ASGI middleware that asks each request for a key: `Authorization: Bearer <key>` (OpenAI's
and Ollama's clients) or `x-api-key: <key>` (Anthropic's). No key or an unknown one is a 401, a
key without the route's scope a 403, a key over its rate a 429, each in the error shape of the
API called. The key's id goes into `scope["state"]["api_key_id"]` for what runs after."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from pollama.auth.keystore import KeyStore
from pollama.auth.ratelimit import RateLimiter
from pollama.auth.scopes import grants, required_scope
from pollama.errors import PollamaError
from pollama.server.error_shapes import error_for

KEY_HINT = "send it as 'Authorization: Bearer <key>' or 'x-api-key: <key>'"


def presented_key(headers: Headers) -> str | None:
    """The key a request carries: the Bearer token, else `x-api-key`."""
    scheme, _, token = headers.get("authorization", "").strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    api_key = headers.get("x-api-key", "").strip()
    return api_key or None


# Bodies up to this size are drained by the server after a refusal, keeping the connection.
DRAINED_BODY = 1024 * 1024


def _large_body(headers: Headers) -> bool:
    length = headers.get("content-length", "0").strip()
    return "transfer-encoding" in headers or not length.isdigit() or int(length) > DRAINED_BODY


class ApiKeyMiddleware:
    def __init__(self, app: ASGIApp, *, keys: KeyStore, limiter: RateLimiter | None = None) -> None:
        self.app = app
        self.keys = keys
        self.limiter = limiter or RateLimiter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method, path = str(scope["method"]), str(scope["path"])
        needed = required_scope(method, path)
        if needed is None:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = presented_key(headers)
        if key is None:
            await _refuse(scope, receive, send, 401, f"missing API key: {KEY_HINT}")
            return
        entry = self.keys.lookup(key)
        if entry is None:
            await _refuse(scope, receive, send, 401, "invalid API key")
            return
        scope.setdefault("state", {})["api_key_id"] = entry.key_id
        if not grants(entry.scopes, needed):
            message = f"API key {entry.key_id} lacks the '{needed}' scope for {method} {path}"
            await _refuse(scope, receive, send, 403, message)
            return
        if entry.rate is not None:
            wait = self.limiter.retry_after(entry.key_id, entry.rate)
            if wait is not None:
                message = (
                    f"rate limit exceeded: API key {entry.key_id} may make {entry.rate} "
                    f"requests; retry in {wait}s"
                )
                await _refuse(scope, receive, send, 429, message, {"retry-after": str(wait)})
                return
        await self.app(scope, receive, send)


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    message: str,
    headers: dict[str, str] | None = None,
) -> None:
    response = error_for(Request(scope), PollamaError(message, status))
    if status == 401:
        response.headers["www-authenticate"] = 'Bearer realm="pollama"'
    response.headers.update(headers or {})
    if _large_body(Headers(scope=scope)):
        # the body is never read: close rather than take in a large upload only to drop it
        response.headers["connection"] = "close"
    await response(scope, receive, send)
