"""`/api/pull` and `/api/push` (Ollama's server/routes.go: PullHandler, PushHandler), and the
pull of a missing base for `/api/create`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama.api.types import Request as RequestBody
from pollama.names import Name
from pollama.registry import Registry
from pollama.server.context import context_of
from pollama.server.http import read, respond

router = APIRouter()

Events = AsyncIterator[dict[str, Any]]


class TransferRequest(RequestBody):
    model: str = ""
    name: str = ""  # deprecated spelling of `model`
    insecure: bool = False
    stream: bool | None = None


def registry_of(request: Request) -> Registry:
    """The server's `Registry` (built by the app factory)."""
    return context_of(request).registry


@router.post("/api/pull")
async def pull(request: Request) -> Response:
    body = await read(request, TransferRequest)
    events = registry_of(request).pull(body.model or body.name, insecure=body.insecure)
    return await respond(events, stream=body.stream is not False)


@router.post("/api/push")
async def push(request: Request) -> Response:
    body = await read(request, TransferRequest)
    events = registry_of(request).push(body.model or body.name, insecure=body.insecure)
    return await respond(events, stream=body.stream is not False)


def missing_base_pull(request: Request, source: str | None) -> Events | None:
    """The pull of a create request's `from` model when it is a model name not stored here."""
    if not source:
        return None
    name = Name.parse(source)
    if not name.is_valid or context_of(request).store.manifests.exists(name):
        return None
    return registry_of(request).pull(source)


async def then(first: Events, make_next: Callable[[], Events]) -> Events:
    """Every event of `first`, then those of `make_next()`."""
    async for event in first:
        yield event
    async for event in make_next():
        yield event
