"""SSE framing, the `[DONE]` terminator and errors midway in a `/v1` stream."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from fastapi.responses import StreamingResponse

from pollama.errors import PollamaError
from pollama.server.sse import drain, event, named_event, sse_response
from pollama.serving.chunks import NativeChunk


class Events:
    """Native chunks that may fail after some; remembers whether it was closed."""

    def __init__(self, chunks: list[dict[str, Any]], fail_after: int | None = None) -> None:
        self.chunks = chunks
        self.fail_after = fail_after
        self.closed = False

    async def run(self) -> AsyncIterator[dict[str, Any]]:
        try:
            for position, chunk in enumerate(self.chunks):
                if position == self.fail_after:
                    raise PollamaError("runner crashed")
                yield chunk
        finally:
            self.closed = True


def echo(chunk: dict[str, Any]) -> list[dict[str, Any]]:
    return [chunk]


async def body_of(response: Any) -> bytes:
    assert isinstance(response, StreamingResponse)
    parts = [p if isinstance(p, bytes) else str(p).encode() async for p in response.body_iterator]
    return b"".join(parts)


def test_event_framing() -> None:
    assert event({"a": "é"}) == 'data: {"a":"é"}\n\n'.encode()


def test_stream_then_tail_then_done() -> None:
    events = Events([{"n": 1}, {"n": 2}])

    async def main() -> bytes:
        response = await sse_response(events.run(), echo, lambda: [{"tail": True}])
        assert response.media_type == "text/event-stream"
        return await body_of(response)

    body = asyncio.run(main())
    assert body == b'data: {"n":1}\n\ndata: {"n":2}\n\ndata: {"tail":true}\n\ndata: [DONE]\n\n'
    assert events.closed


def test_error_midway_is_an_error_event_without_done() -> None:
    events = Events([{"n": 1}, {"n": 2}], fail_after=1)

    async def main() -> bytes:
        return await body_of(await sse_response(events.run(), echo, list))

    frames = asyncio.run(main()).split(b"\n\n")
    assert frames[0] == b'data: {"n":1}'
    assert json.loads(frames[1].removeprefix(b"data: ")) == {
        "error": {"message": "runner crashed", "type": "api_error", "param": None, "code": None}
    }
    assert frames[2:] == [b""] and events.closed


def test_error_before_the_first_chunk_propagates() -> None:
    events = Events([{"n": 1}], fail_after=0)
    with pytest.raises(PollamaError, match="runner crashed"):
        asyncio.run(sse_response(events.run(), echo, list))


def test_single_answer_and_drain() -> None:
    async def main() -> bytes:
        single = NativeChunk("chat", "m", "t", done=True)  # a load-only answer, say
        return await body_of(await sse_response(single, lambda c: [{"done": c.done}], list))

    assert asyncio.run(main()) == b'data: {"done":true}\n\ndata: [DONE]\n\n'
    events = Events([{"n": 1}, {"n": 2}])
    assert asyncio.run(drain(events.run())) == [{"n": 1}, {"n": 2}]
    failing = Events([{"n": 1}, {"n": 2}], fail_after=1)
    with pytest.raises(PollamaError):
        asyncio.run(drain(failing.run()))
    assert failing.closed


def test_named_events_without_done_and_a_custom_failure() -> None:
    events = Events([{"type": "a"}, {"type": "b"}], fail_after=1)

    def failure(status: int, message: str) -> list[dict[str, Any]]:
        return [{"type": "error", "status": status, "message": message}]

    async def main() -> bytes:
        response = await sse_response(
            events.run(), echo, list, frame=named_event, done=b"", failure=failure
        )
        return await body_of(response)

    assert asyncio.run(main()) == (
        b'event: a\ndata: {"type":"a"}\n\n'
        b'event: error\ndata: {"type":"error","status":500,"message":"runner crashed"}\n\n'
    )
