"""Stop a generation as soon as its client goes away (within one decoding step)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import Any, TypeVar

from fastapi import Request

from pollama.errors import RequestCanceled

T = TypeVar("T")


async def _wait_for_disconnect(request: Request) -> None:
    while True:
        message = await request.receive()
        if message["type"] == "http.disconnect":
            return


async def _close(events: AsyncIterator[Any]) -> None:
    close = getattr(events, "aclose", None)
    if close is not None:
        with contextlib.suppress(BaseException):
            await close()


async def cancel_on_disconnect(request: Request, events: AsyncIterator[T]) -> AsyncIterator[T]:
    """Yield from `events` until the client disconnects, then stop it at once.

    Each step runs as its own task, so a disconnect cancels it whichever task is iterating (the
    first chunk is awaited by the route, the rest by the streaming response), and the consumer
    gets RequestCanceled. If the consumer has already given up on us (a failed send leaves this
    generator suspended at a `yield`), `events` is closed directly. Either way `events`' cleanup
    runs now, which cancels the runner request and releases its slot.
    """
    step: asyncio.Future[T] | None = None
    closing: set[asyncio.Future[None]] = set()  # keeps the closing task referenced
    gone = asyncio.ensure_future(_wait_for_disconnect(request))

    def on_gone(_: object) -> None:
        if gone.cancelled():
            return
        if step is not None and not step.done():
            step.cancel()
        else:
            closing.add(asyncio.ensure_future(_close(events)))

    gone.add_done_callback(on_gone)
    try:
        while True:
            step = asyncio.ensure_future(anext(events))
            try:
                item = await asyncio.shield(step)
            except StopAsyncIteration:
                return
            except asyncio.CancelledError:
                if gone.done() and not gone.cancelled():
                    raise RequestCanceled("request canceled") from None
                step.cancel()
                raise
            yield item
    finally:
        gone.cancel()
        await _close(events)
