"""Downloads in flight, shared: a second pull of a blob already being fetched waits on the
same download instead of starting another, as Ollama's server/download.go shares its
blobDownload. The download runs as its own task with its own client; it is cancelled (its
progress kept on disk) when the last pull waiting on it goes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from pollama.registry.download import BlobDownload


@dataclass
class _Shared:
    download: BlobDownload
    task: asyncio.Task[None]
    waiters: int = 0


class Transfers:
    def __init__(self) -> None:
        self._active: dict[str, _Shared] = {}

    def active(self, digest: str) -> BlobDownload | None:
        shared = self._active.get(digest)
        return None if shared is None else shared.download

    @asynccontextmanager
    async def download(
        self, digest: str, make: Callable[[], BlobDownload]
    ) -> AsyncIterator[tuple[BlobDownload, asyncio.Task[None]]]:
        """The download of `digest` (started with `make()` unless one runs) and its task."""
        shared = self._active.get(digest)
        if shared is None or shared.task.done():
            download = make()
            shared = _Shared(download, asyncio.create_task(self._run(download)))
            self._active[digest] = shared
        shared.waiters += 1
        try:
            yield shared.download, shared.task
        finally:
            shared.waiters -= 1
            if shared.waiters == 0:
                if not shared.task.done():
                    shared.task.cancel()
                if self._active.get(digest) is shared:
                    del self._active[digest]

    @staticmethod
    async def _run(download: BlobDownload) -> None:
        try:
            await download.run()
        finally:
            await download.client.aclose()
