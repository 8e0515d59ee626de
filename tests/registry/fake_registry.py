"""An in-memory registry behind `httpx.MockTransport`, with switches for the failures a real
network has: errors, stalls, dropped connections, CDN redirects, no range support, tokens."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

import httpx

from pollama.store import media_types

REGISTRY = "registry.test"
CDN = "cdn.test"
_RANGE = re.compile(r"bytes=(\d+)-(\d+)")


class _Body(httpx.AsyncByteStream):
    def __init__(
        self, data: bytes, *, stall_after: int | None = None, drop_after: int | None = None
    ):
        self.data, self.stall_after, self.drop_after = data, stall_after, drop_after

    async def __aiter__(self) -> AsyncIterator[bytes]:
        cut = min(x for x in (self.stall_after, self.drop_after, len(self.data)) if x is not None)
        for start in range(0, cut, 1024):
            yield self.data[start : min(cut, start + 1024)]
        if self.stall_after is not None:
            await asyncio.sleep(3600)
        if self.drop_after is not None:
            raise httpx.ReadError("connection reset")


def digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


@dataclass
class FakeRegistry:
    blobs: dict[str, bytes] = field(default_factory=dict)
    manifests: dict[str, bytes] = field(default_factory=dict)
    ranges: bool = True
    cdn: bool = False  # blob GETs answer 307 to another host
    token: str | None = None  # require `Bearer <token>`, handed out at /token
    fail_next: int = 0  # answer this many blob GETs with 503
    stall_next: int = 0  # this many blob GETs send some bytes then hang
    drop_next: int = 0  # this many blob GETs send some bytes then reset
    log: list[httpx.Request] = field(default_factory=list)
    blob_bytes_sent: int = 0

    def add_model(self, repository: str, tag: str, layers: list[bytes]) -> bytes:
        config = b'{"model_format":"gguf"}\n'
        descriptors = []
        for data in layers:
            self.blobs[digest_of(data)] = data
            descriptors.append(
                {"mediaType": media_types.MODEL, "digest": digest_of(data), "size": len(data)}
            )
        self.blobs[digest_of(config)] = config
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": media_types.MANIFEST,
                "config": {
                    "mediaType": media_types.CONFIG,
                    "digest": digest_of(config),
                    "size": len(config),
                },
                "layers": descriptors,
            }
        ).encode()
        self.manifests[f"{repository}:{tag}"] = manifest
        return manifest

    def blob_gets(self) -> list[httpx.Request]:
        return [r for r in self.log if r.method == "GET" and "/blobs/" in r.url.path]

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        self.log.append(request)
        url = request.url
        if url.host == REGISTRY and url.path == "/token":
            return httpx.Response(200, json={"token": self.token})
        if url.host == CDN:
            return self._blob(request, url.path.rsplit("/", 1)[-1])
        if self.token and request.headers.get("authorization") != f"Bearer {self.token}":
            challenge = (
                f'Bearer realm="https://{REGISTRY}/token",service="{REGISTRY}",'
                'scope="repository:library/m:pull"'
            )
            return httpx.Response(401, headers={"WWW-Authenticate": challenge})
        match = re.fullmatch(r"/v2/(.+)/(manifests|blobs)/(.+)", url.path)
        if match is None:
            return httpx.Response(404)
        repository, kind, ref = match.groups()
        if kind == "manifests":
            raw = self.manifests.get(f"{repository}:{ref}")
            if raw is None:
                return httpx.Response(404, json={"errors": [{"code": "MANIFEST_UNKNOWN"}]})
            return httpx.Response(200, content=raw, headers={"Content-Type": media_types.MANIFEST})
        if self.cdn:
            return httpx.Response(307, headers={"Location": f"https://{CDN}/signed/{ref}"})
        return self._blob(request, ref)

    def _blob(self, request: httpx.Request, digest: str) -> httpx.Response:
        data = self.blobs.get(digest)
        if data is None:
            return httpx.Response(404)
        if self.fail_next:
            self.fail_next -= 1
            return httpx.Response(503, text="busy")
        status, headers = 200, {"Content-Length": str(len(data))}
        match = _RANGE.fullmatch(request.headers.get("range", ""))
        if self.ranges and match:
            start, end = int(match.group(1)), int(match.group(2))
            headers = {"Content-Range": f"bytes {start}-{end}/{len(data)}"}
            data, status = data[start : end + 1], 206
        stall = drop = None
        if self.stall_next:
            self.stall_next -= 1
            stall = len(data) // 2
        elif self.drop_next:
            self.drop_next -= 1
            drop = len(data) // 2
        sent = min(x for x in (stall, drop, len(data)) if x is not None)
        self.blob_bytes_sent += sent
        return httpx.Response(
            status, headers=headers, stream=_Body(data, stall_after=stall, drop_after=drop)
        )
