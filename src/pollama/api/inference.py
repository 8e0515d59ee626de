"""`/api/generate`, `/api/chat` and `/api/ps`; the preparation they share is `api.prepare`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama.api.prepare import ChatKind, GenerateKind, Prepared, count_tokens, prepare
from pollama.api.types import ChatRequest, GenerateRequest
from pollama.go import time as timefmt
from pollama.runner.memory import adapter_bytes
from pollama.server.context import context_of
from pollama.server.http import json_response, read, respond
from pollama.serving.generation import NativeChunk, collect

router = APIRouter()


async def prepare_generate(request: Request, body: GenerateRequest) -> Prepared:
    """Everything `/api/generate` does before streaming: a single answer (load, unload, debug
    render) or the native chunk stream. `/v1/completions` translates into this too."""
    return await prepare(request, GenerateKind(body))


async def prepare_chat(request: Request, body: ChatRequest) -> Prepared:
    """Everything `/api/chat` does before streaming (see `prepare_generate`);
    `/v1/chat/completions`, `/v1/responses` and `/v1/messages` translate into this."""
    return await prepare(request, ChatKind(body))


async def count_chat_tokens(request: Request, body: ChatRequest) -> int:
    """How many tokens the whole chat prompt takes, rendered as `/api/chat` renders it (the
    model is loaded to tokenize it). Anthropic's `count_tokens` answers with this."""
    return await count_tokens(request, body)


def _collected(events: list[NativeChunk]) -> NativeChunk | dict[str, object]:
    return collect(events) or {}  # a stream that ended with no chunk at all: `{}`


async def _answer(prepared: Prepared, stream: bool | None) -> Response:
    if isinstance(prepared, NativeChunk):
        return json_response(prepared)
    return await respond(prepared, stream=stream is not False, collect=_collected)


@router.post("/api/generate")
async def generate(request: Request) -> Response:
    body = await read(request, GenerateRequest)
    return await _answer(await prepare_generate(request, body), body.stream)


@router.post("/api/chat")
async def chat(request: Request) -> Response:
    body = await read(request, ChatRequest)
    return await _answer(await prepare_chat(request, body), body.stream)


@router.get("/api/ps")
async def ps(request: Request) -> Response:
    scheduler = context_of(request).scheduler
    models = []
    for loaded in scheduler.running():
        # Models that differ only by LoRA adapters share one runner: each is listed, its size
        # the base's plus its own adapters', and `shared_with` names the others on it.
        users = list(loaded.users.values())
        for model in users:
            entry = {
                "name": model.name,
                "model": model.name,
                "size": loaded.runner.memory.total + adapter_bytes(model.adapters),
                "digest": model.digest,
                "details": model.details,
                "expires_at": timefmt.local_from_seconds(min(loaded.expires_at, 1.0e10)),
                "size_vram": 0,  # the runner's memory estimate is all host memory
                "context_length": loaded.spec.num_ctx,
                # pollama's addition: slots, which may be fewer than asked when memory is short
                "num_parallel": loaded.spec.num_parallel,
            }
            if len(users) > 1:  # pollama's addition: one loaded base serves all of these
                entry["shared_with"] = [other.name for other in users if other is not model]
            models.append(entry)
    return json_response({"models": models})
