"""One blob upload with the OCI flow (Ollama's server/upload.go): HEAD, then POST (a
cross-repository mount when a source is known), then one PUT for small blobs or PATCH chunks
in order and a closing PUT with `?digest=`. Ollama's registry may answer a PATCH with `307`: the
chunk then goes by PUT to that address without credentials. A transient failure restarts the
upload after a backoff."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import httpx

from pollama.registry.client import RegistryClient, raise_for_status
from pollama.registry.errors import RegistryError, RegistryNotFound
from pollama.registry.policy import QUICK_TRIES, retry

log = logging.getLogger(__name__)

READ_CHUNK = 1 << 20
OCTET_STREAM = "application/octet-stream"


def _next_location(response: httpx.Response) -> str:
    location = response.headers.get("docker-upload-location") or response.headers.get("location")
    if not location:
        raise RegistryError(response.status_code, "the registry gave no upload location")
    return str(response.request.url.join(location))


class BlobUpload:
    def __init__(
        self,
        client: RegistryClient,
        path: Path,
        digest: str,
        mount_from: list[str] | None = None,
    ) -> None:
        self.client = client
        self.path = path
        self.digest = digest
        self.total = path.stat().st_size
        self.mount_from = mount_from or []
        self.completed = 0
        self._md5s: dict[int, bytes] = {}  # chunk offset -> md5, for the etag

    async def run(self) -> None:
        policy = self.client.policy
        if await retry(policy, f"HEAD {self.digest}", self._exists, tries=QUICK_TRIES):
            self.completed = self.total
            return
        await retry(self.client.policy, f"upload {self.digest}", self._upload)
        self.completed = self.total

    async def _exists(self) -> bool:
        try:
            await self.client.request("HEAD", self.client.url(f"blobs/{self.digest}"))
        except RegistryNotFound:
            return False
        return True

    async def _start(self) -> str | None:
        """The upload URL, or None when a mount made the blob appear in this repository."""
        uploads = self.client.url("blobs/uploads/")
        for source in self.mount_from:
            url = str(httpx.URL(uploads, params={"mount": self.digest, "from": source}))
            try:
                response = await self.client.request("POST", url, follow_redirects=False)
            except RegistryError as exc:
                log.info("mounting %s from %s failed: %s", self.digest, source, exc)
                continue
            if response.status_code == 201:
                return None
            return _next_location(response)
        response = await self.client.request("POST", uploads, follow_redirects=False)
        return _next_location(response)

    def _body(self, offset: int, length: int) -> Callable[[], AsyncIterator[bytes]]:
        """A body factory for bytes [offset, offset+length): progress restarts with the body."""

        async def chunks() -> AsyncIterator[bytes]:
            self.completed = offset
            md5 = hashlib.md5(usedforsecurity=False)
            with open(self.path, "rb") as f:
                f.seek(offset)
                left = length
                while left > 0:
                    chunk = f.read(min(READ_CHUNK, left))
                    if not chunk:
                        raise RegistryError(500, f"{self.path} shrank while being uploaded")
                    left -= len(chunk)
                    md5.update(chunk)
                    self.completed += len(chunk)
                    yield chunk
            self._md5s[offset] = md5.digest()

        return chunks

    async def _upload(self) -> None:
        self.completed = 0
        self._md5s = {}
        url = await self._start()
        if url is None:
            return
        chunk = self.client.policy.upload_chunk_size
        if self.total <= chunk:
            await self._finish(url, self._body(0, self.total), self.total)
            return
        for offset in range(0, self.total, chunk):
            url = await self._patch(url, offset, min(chunk, self.total - offset))
        await self._finish(url, None, 0)

    async def _patch(self, url: str, offset: int, length: int) -> str:
        headers = {
            "Content-Type": OCTET_STREAM,
            "Content-Length": str(length),
            "Content-Range": f"{offset}-{offset + length - 1}",
            "X-Redirect-Uploads": "1",
        }
        response = await self.client.request(
            "PATCH",
            url,
            headers=headers,
            content=self._body(offset, length),
            follow_redirects=False,
        )
        if response.status_code == 307:
            redirect = str(response.request.url.join(response.headers["location"]))
            put = await self.client.request(
                "PUT",
                redirect,
                headers={"Content-Type": OCTET_STREAM, "Content-Length": str(length)},
                content=self._body(offset, length),
                follow_redirects=False,
                authorize=False,
            )
            raise_for_status(put)
        return _next_location(response)

    async def _finish(
        self, url: str, body: Callable[[], AsyncIterator[bytes]] | None, length: int
    ) -> None:
        params = {"digest": self.digest}
        if body is None and self._md5s:
            joined = b"".join(md5 for _, md5 in sorted(self._md5s.items()))
            etag = hashlib.md5(joined, usedforsecurity=False).hexdigest()
            params["etag"] = f"{etag}-{len(self._md5s)}"
        target = str(httpx.URL(url).copy_merge_params(params))
        headers = {"Content-Type": OCTET_STREAM, "Content-Length": str(length)}
        await self.client.request(
            "PUT", target, headers=headers, content=body or b"", follow_redirects=False
        )
