"""Progress of one blob transfer, as Ollama streams it: a line whenever the count moves."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from typing import Any


def progress(status: str, digest: str, total: int, completed: int) -> dict[str, Any]:
    """A transfer progress line; `completed` left out while 0, as Go's omitempty does."""
    event: dict[str, Any] = {"status": status, "digest": digest, "total": total}
    if completed:
        event["completed"] = completed
    return event


async def watch(
    task: asyncio.Task[None],
    *,
    status: str,
    digest: str,
    total: Callable[[], int],
    completed: Callable[[], int],
    interval: float,
    finished: Callable[[], bool] = lambda: False,
) -> AsyncIterator[dict[str, Any]]:
    """Progress lines for `task` every `interval` while its count moves, and a last one when it
    is done (or `finished()` says its bytes are all in); the task's error is raised."""
    sent = -1
    while True:
        done = finished() or task.done()
        if completed() != sent or done:
            sent = completed()
            yield progress(status, digest, total(), sent)
        if task.done():
            task.result()  # raises what the transfer raised
        if done:
            return
        await asyncio.wait({task}, timeout=interval)
