"""An embed request whose client goes away is cancelled, and so is its runner work."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from starlette.requests import Request

from pollama.api.embed import unless_disconnected
from pollama.errors import RequestCanceled


def _request(gone: asyncio.Event) -> Request:
    async def receive() -> dict[str, Any]:
        await gone.wait()
        return {"type": "http.disconnect"}

    return Request({"type": "http", "method": "POST", "path": "/api/embed"}, receive)


def test_a_disconnect_cancels_the_work() -> None:
    async def scenario() -> list[str]:
        events: list[str] = []
        gone = asyncio.Event()

        async def work() -> None:
            try:
                events.append("started")
                await asyncio.Event().wait()  # a batch that would take forever
            except asyncio.CancelledError:
                events.append("cancelled")  # the runner client sends its cancel here
                raise

        waiting = asyncio.ensure_future(unless_disconnected(_request(gone), work()))
        await asyncio.sleep(0)
        gone.set()
        with pytest.raises(RequestCanceled):
            await waiting
        return events

    assert asyncio.run(scenario()) == ["started", "cancelled"]


def test_work_that_finishes_is_answered() -> None:
    async def scenario() -> int:
        async def work() -> int:
            return 7

        return await unless_disconnected(_request(asyncio.Event()), work())

    assert asyncio.run(scenario()) == 7
