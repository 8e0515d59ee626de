"""Server-sent events for the streamed `/v1` answers, and draining native chunks (§3.1).

Each event is `data: <json>\n\n`; a stream ends with `data: [DONE]\n\n`, or, when generation
fails midway, with one `data: {"error": {...}}` event.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi.responses import Response, StreamingResponse

from pollama.api.http import dumps
from pollama.api.inference import Prepared
from pollama.api.openai.errors import envelope
from pollama.errors import PollamaError

log = logging.getLogger(__name__)

SSE_TYPE = "text/event-stream"
DONE = b"data: [DONE]\n\n"

Translate = Callable[[dict[str, Any]], list[dict[str, Any]]]


def event(value: Any) -> bytes:
    return b"data: " + dumps(value) + b"\n\n"


async def _single(answer: dict[str, Any]) -> AsyncIterator[dict[str, Any]]:
    yield answer


def native_events(prepared: Prepared) -> AsyncIterator[dict[str, Any]]:
    """The native chunks of a prepared request; a single answer is a one-chunk stream."""
    if isinstance(prepared, dict):
        return _single(prepared)
    return prepared


async def _close(events: AsyncIterator[dict[str, Any]]) -> None:
    close = getattr(events, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()


async def drain(prepared: Prepared) -> list[dict[str, Any]]:
    """All native chunks; an error midway propagates (and becomes an error status)."""
    events = native_events(prepared)
    try:
        return [chunk async for chunk in events]
    finally:
        await _close(events)


async def sse_response(
    prepared: Prepared, translate: Translate, tail: Callable[[], list[dict[str, Any]]]
) -> Response:
    """Stream `translate(chunk)` for every native chunk, then `tail()`, then `[DONE]`.

    The first native chunk is awaited before the response starts, so an error raised then still
    gets a real HTTP status and the error envelope.
    """
    events = native_events(prepared)
    try:
        first = [await anext(events)]
    except StopAsyncIteration:
        first = []

    async def body() -> AsyncIterator[bytes]:
        try:
            for chunk in first:
                for item in translate(chunk):
                    yield event(item)
            async for chunk in events:
                for item in translate(chunk):
                    yield event(item)
            for item in tail():
                yield event(item)
            yield DONE
        except PollamaError as exc:
            yield event(envelope(exc.status, exc.message))
        except Exception as exc:  # never a torn stream without a word
            log.exception("error while streaming")
            yield event(envelope(500, str(exc) or type(exc).__name__))
        finally:
            await _close(events)

    return StreamingResponse(body(), media_type=SSE_TYPE)
