"""Stop a generation as soon as its client goes away (§10: cancellation within one step)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TypeVar

from fastapi import Request

from pollama.errors import RequestCanceled

T = TypeVar("T")


async def _wait_for_disconnect(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def cancel_on_disconnect(request: Request, events: AsyncIterator[T]) -> AsyncIterator[T]:
    """Yield from `events` until the client disconnects; then cancel the pending step (which
    closes `events`, so its runner request is cancelled) and raise RequestCanceled.

    Each step runs as its own task so the cancellation reaches it whichever task is iterating:
    the first chunk is awaited by the route itself, the rest by the streaming response.
    """
    gone = asyncio.ensure_future(_wait_for_disconnect(request))
    try:
        while True:
            step = asyncio.ensure_future(anext(events))
            await asyncio.wait({step, gone}, return_when=asyncio.FIRST_COMPLETED)
            if not step.done():
                step.cancel()
                with contextlib.suppress(BaseException):
                    await step
                raise RequestCanceled("request canceled")
            try:
                item = step.result()
            except StopAsyncIteration:
                return
            yield item
    finally:
        gone.cancel()
        close = getattr(events, "aclose", None)
        if close is not None:
            with contextlib.suppress(BaseException):
                await close()
