"""Routes that manage stored models: tags, show, create, blobs, copy, delete
(Ollama's server/routes.go: ListHandler, ShowHandler, CreateHandler, the blob handlers,
CopyHandler, DeleteHandler)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import iterate_in_threadpool, run_in_threadpool

from pollama.api.registry import missing_base_pull, then
from pollama.api.types import CopyRequest, CreateRequest, DeleteRequest, ShowRequest
from pollama.errors import BadRequest, NotFound
from pollama.models import views
from pollama.models.create import CreateInput
from pollama.models.manage import copy_model, delete_model
from pollama.names import Name
from pollama.server.context import context_of
from pollama.server.http import json_response, read, respond
from pollama.store.blobs import parse_digest

router = APIRouter()


@router.api_route("/api/tags", methods=["GET", "HEAD"])
async def tags(request: Request) -> Response:
    store = context_of(request).store

    def entries() -> list[dict[str, object]]:
        models = sorted(store.models(), key=lambda m: m.stored.mtime, reverse=True)
        return [views.list_entry(m) for m in models]

    return json_response({"models": await run_in_threadpool(entries)})


@router.post("/api/show")
async def show(request: Request) -> Response:
    body = await read(request, ShowRequest)
    text = body.model or body.name
    if not text:
        raise BadRequest("model is required")
    name = Name.parse(text)
    store = context_of(request).store
    model = store.complete_model(name) if name.is_valid else None
    if model is None:
        raise NotFound(f"model '{name.display_shortest}' not found")
    response = await run_in_threadpool(
        views.show_response, model, verbose=body.verbose, system=body.system, options=body.options
    )
    return json_response(response)


def create_input(body: CreateRequest) -> CreateInput:
    """The create request as the model layer takes it (read once, here)."""
    licenses = body.license
    return CreateInput(
        model=body.model or body.name,
        source=body.from_,
        files=body.files or {},
        adapters=body.adapters or {},
        template=body.template,
        system=body.system,
        licenses=[licenses] if isinstance(licenses, str) else list(licenses or []),
        parameters=body.parameters,
        messages=None if body.messages is None else [m.as_dict() for m in body.messages],
        quantize=body.quantize,
        requires=body.requires,
        draft_files=body.draft_files or {},
    )


@router.post("/api/create")
async def create(request: Request) -> Response:
    body = await read(request, CreateRequest)
    creator = context_of(request).creator
    # registry (issue #5): a `from` model missing here is pulled first, its statuses streamed
    # before create's.
    base_pull = missing_base_pull(request, body.from_)
    if base_pull is not None:

        async def create_events() -> AsyncIterator[dict[str, Any]]:
            plan = await run_in_threadpool(creator.prepare, create_input(body))
            async for event in iterate_in_threadpool(creator.run(plan)):
                yield event

        return await respond(then(base_pull, create_events), stream=body.stream is not False)
    plan = await run_in_threadpool(creator.prepare, create_input(body))
    events = iterate_in_threadpool(creator.run(plan))
    return await respond(events, stream=body.stream is not False)


@router.head("/api/blobs/{digest}")
async def blob_exists(request: Request, digest: str) -> Response:
    blobs = context_of(request).store.blobs
    if not blobs.exists(parse_digest(digest)):
        raise NotFound(f'blob "{digest}" not found')
    return Response(status_code=200)


@router.post("/api/blobs/{digest}")
async def blob_upload(request: Request, digest: str) -> Response:
    expected = parse_digest(digest)
    blobs = context_of(request).store.blobs
    if blobs.exists(expected):
        return Response(status_code=200)
    await blobs.write_stream(request.stream(), expected)
    return Response(status_code=201)


@router.post("/api/copy")
async def copy(request: Request) -> Response:
    body = await read(request, CopyRequest)
    await run_in_threadpool(copy_model, context_of(request).store, body.source, body.destination)
    return Response(status_code=200)


@router.delete("/api/delete")
async def delete(request: Request) -> Response:
    body = await read(request, DeleteRequest)
    model = body.model or body.name
    await run_in_threadpool(delete_model, context_of(request).store, model)
    return Response(status_code=200)
