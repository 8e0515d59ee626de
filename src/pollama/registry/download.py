"""One blob download: parallel ranged parts into a partial file, resumable, verified
(after Ollama's server/download.go, blobDownload).

A part that fails is retried with exponential backoff; the count of failures resets whenever
the part makes progress, so a flaky but moving connection never gives up, and a dead one gives
up after `max_retries` tries in a row. A part that receives nothing for `stall_timeout` seconds
is dropped and fetched again from where it stopped. Redirects (a CDN) are followed, with the
credentials dropped on a hop to another host. A server that ignores `Range` is detected and the
blob fetched as one stream. The sha256 is checked before the file is renamed into place.
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
import time

import httpx

from pollama.errors import PollamaError
from pollama.registry.client import RegistryClient, raise_for_status
from pollama.registry.errors import (
    DigestMismatch,
    RangesUnsupported,
    RegistryError,
    ShortRead,
    StalledTransfer,
    describe_failure,
    is_transient,
)
from pollama.registry.parts import Part, PartialBlob, plan_parts
from pollama.store.blobs import BlobStore, digest_file
from pollama.store.oserrors import StoreWriteError

log = logging.getLogger(__name__)

_CONTENT_RANGE = re.compile(r"bytes\s+(\d+)-(\d+)/(\d+|\*)")


class BlobDownload:
    """Fetch `digest` (`total` bytes) from `client`'s repository into `blobs`."""

    def __init__(self, client: RegistryClient, blobs: BlobStore, digest: str, total: int) -> None:
        self.client = client
        self.blobs = blobs
        self.digest = digest
        self.total = total
        self.policy = client.policy
        self.partial = PartialBlob(blobs.root, digest)
        self.parts = self.partial.load(total)  # what an earlier attempt left, if usable
        # bytes on disk, for progress; at first what is there from an earlier attempt
        self.completed = self.resumed_from = sum(p.completed for p in self.parts or [])
        self.downloaded = asyncio.Event()  # all bytes in; verification may still run
        self._fd = -1

    @property
    def url(self) -> str:
        return self.client.url(f"blobs/{self.digest}")

    async def run(self) -> None:
        """Download, verify and publish the blob; the partial files stay for a later resume
        when this fails or is cancelled, except after a digest mismatch."""
        self.blobs.ensure()
        parts = self.parts
        if parts is None:
            parts = plan_parts(self.total, self.policy)
            self.partial.start(parts, self.total)
            self.completed = 0
        self._fd = os.open(self.partial.path, os.O_RDWR)
        try:
            try:
                await self._fetch_all(parts)
            except RangesUnsupported:
                log.info("%s: the server ignores ranges, fetching it as one stream", self.url)
                parts = [Part(0, 0, self.total)]
                self.partial.start(parts, self.total)
                self.completed = 0
                await self._fetch_all(parts)
            os.fsync(self._fd)
        finally:
            os.close(self._fd)
        self.downloaded.set()
        await self._publish()

    async def _publish(self) -> None:
        got = await asyncio.to_thread(digest_file, self.partial.path)
        if got != self.digest:
            self.partial.discard()
            raise DigestMismatch(self.digest, got)
        os.chmod(self.partial.path, 0o644)
        os.replace(self.partial.path, self.blobs.path(self.digest))
        self.partial.clear_states()

    async def _fetch_all(self, parts: list[Part]) -> None:
        limit = asyncio.Semaphore(self.policy.max_concurrent_parts)

        async def fetch(part: Part) -> None:
            async with limit:
                await self._fetch_part(part)

        tasks = [asyncio.create_task(fetch(part)) for part in parts if not part.done]
        try:
            await asyncio.gather(*tasks)
        except BaseException:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            raise
        finally:
            for part in parts:
                self.partial.save(part)

    async def _fetch_part(self, part: Part) -> None:
        failures = 0
        while not part.done:
            before = part.completed
            try:
                await self._stream_part(part)
            except Exception as exc:
                if not is_transient(exc):
                    raise
                failures = 1 if part.completed > before else failures + 1
                if failures >= self.policy.max_retries:
                    reason = describe_failure(exc)
                    raise PollamaError(
                        f"max retries exceeded downloading {self.digest}: {reason}"
                    ) from exc
                delay = self.policy.backoff(failures)
                log.info("%s part %d: %r, retrying in %.1fs", self.digest[7:19], part.n, exc, delay)
                await asyncio.sleep(delay)

    async def _stream_part(self, part: Part) -> None:
        start, last = part.next_offset, part.end - 1
        headers = {"Range": f"bytes={start}-{last}", "Accept-Encoding": "identity"}
        async with self.client.stream("GET", self.url, headers=headers) as response:
            if response.status_code == 200:
                if start != 0 or last != self.total - 1:
                    raise RangesUnsupported()
            elif response.status_code == 206:
                match = _CONTENT_RANGE.match(response.headers.get("content-range", ""))
                if match is None or int(match.group(1)) != start:
                    raise RegistryError(502, f"unexpected Content-Range for bytes {start}-{last}")
            else:
                await response.aread()
                raise_for_status(response)
                raise RegistryError(response.status_code, response.text)
            await self._write_body(part, response)
        if not part.done:
            raise ShortRead(f"connection closed at byte {part.next_offset}")

    async def _write_body(self, part: Part, response: httpx.Response) -> None:
        chunks = response.aiter_raw().__aiter__()  # as received: no buffering to a size
        saved_at = time.monotonic()
        while not part.done:
            try:
                chunk = await asyncio.wait_for(anext(chunks), self.policy.stall_timeout)
            except StopAsyncIteration:
                return
            except TimeoutError:
                raise StalledTransfer(f"no data for {self.policy.stall_timeout:g}s") from None
            chunk = chunk[: part.size - part.completed]
            try:
                os.pwrite(self._fd, chunk, part.next_offset)
            except OSError as exc:  # a full disk: not transient, and worded with the path
                raise StoreWriteError("write", self.partial.path, exc) from exc
            part.completed += len(chunk)
            self.completed += len(chunk)
            if time.monotonic() - saved_at >= self.policy.state_interval:
                self.partial.save(part)
                saved_at = time.monotonic()
