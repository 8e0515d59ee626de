"""Server-sent events for the streamed `/v1` answers, and draining native chunks.

Chat and completions: each event is `data: <json>\n\n`; a stream ends with `data: [DONE]\n\n`, or,
when generation fails midway, with one `data: {"error": {...}}` event. The Responses API names
each event (`event: <type>`) and has no `[DONE]`; its stream passes its own framing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any, Protocol

from fastapi.responses import Response, StreamingResponse

from pollama.api.inference import Prepared
from pollama.api.openai.errors import envelope
from pollama.errors import PollamaError
from pollama.server.http import dumps
from pollama.serving.chunks import Kind, NativeChunk
from pollama.serving.generation import collect

log = logging.getLogger(__name__)

SSE_TYPE = "text/event-stream"
DONE = b"data: [DONE]\n\n"

Translate = Callable[[NativeChunk], list[dict[str, Any]]]
Frame = Callable[[dict[str, Any]], bytes]
Failure = Callable[[int, str], list[dict[str, Any]]]


def event(value: Any) -> bytes:
    return b"data: " + dumps(value) + b"\n\n"


def named_event(value: dict[str, Any]) -> bytes:
    """`event: <its type>` then the data line, as the Responses API streams."""
    return b"event: " + str(value.get("type", "")).encode() + b"\n" + event(value)


def envelope_failure(status: int, message: str) -> list[dict[str, Any]]:
    return [envelope(status, message)]


async def _single(answer: NativeChunk) -> AsyncIterator[NativeChunk]:
    yield answer


def native_events(prepared: Prepared) -> AsyncIterator[NativeChunk]:
    """The native chunks of a prepared request; a single answer is a one-chunk stream."""
    if isinstance(prepared, NativeChunk):
        return _single(prepared)
    return prepared


async def _close(events: AsyncIterator[NativeChunk]) -> None:
    close = getattr(events, "aclose", None)
    if close is not None:
        with contextlib.suppress(Exception):
            await close()


async def drain(prepared: Prepared) -> list[NativeChunk]:
    """All native chunks; an error midway propagates (and becomes an error status)."""
    events = native_events(prepared)
    try:
        return [chunk async for chunk in events]
    finally:
        await _close(events)


async def answer_of(prepared: Prepared, kind: Kind) -> NativeChunk:
    """The collected answer (see `serving.generation.collect`); a stream that ended with no
    chunk at all reads as a blank chunk (no model, no text, no reason)."""
    return collect(await drain(prepared)) or NativeChunk(kind, model="", created_at="")


async def sse_response(
    prepared: Prepared,
    translate: Translate,
    tail: Callable[[], list[dict[str, Any]]],
    *,
    frame: Frame = event,
    done: bytes = DONE,
    failure: Failure = envelope_failure,
) -> Response:
    """Stream `translate(chunk)` for every native chunk, then `tail()`, then `done`; an error
    midway ends the stream with `failure(status, message)`.

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
                    yield frame(item)
            async for chunk in events:
                for item in translate(chunk):
                    yield frame(item)
            for item in tail():
                yield frame(item)
            if done:
                yield done
        except PollamaError as exc:
            for item in failure(exc.status, exc.message):
                yield frame(item)
        except Exception as exc:  # never a torn stream without a word
            log.exception("error while streaming")
            for item in failure(500, str(exc) or type(exc).__name__):
                yield frame(item)
        finally:
            await _close(events)

    return StreamingResponse(body(), media_type=SSE_TYPE)


class EventStream(Protocol):
    """A stream whose events name themselves by their `type` (Responses, Anthropic)."""

    def translate(self, native: NativeChunk) -> list[dict[str, Any]]: ...

    def failure(self, status: int, message: str) -> list[dict[str, Any]]: ...


async def named_sse_response(prepared: Prepared, stream: EventStream) -> Response:
    """Named events (`event: <type>`) and no `[DONE]`: the stream ends with its last event."""
    return await sse_response(
        prepared, stream.translate, list, frame=named_event, done=b"", failure=stream.failure
    )
