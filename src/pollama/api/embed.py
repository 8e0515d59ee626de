"""`/api/embed` and the legacy `/api/embeddings` (§1.4)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama import options as opts
from pollama.api.context import context_of
from pollama.api.http import json_response, read
from pollama.api.types import EmbeddingsRequest, EmbedRequest
from pollama.durations import parse_keep_alive
from pollama.errors import RequestCanceled
from pollama.runner.types import EmbedResult
from pollama.serving.embedding import fit_inputs, inputs_of, shape
from pollama.serving.resolve import resolve

router = APIRouter()
T = TypeVar("T")


async def _embed(runner: Any, texts: list[str], limit: int, truncate: bool) -> EmbedResult:
    result: EmbedResult = await runner.embed(await fit_inputs(runner, texts, limit, truncate))
    return result


async def unless_disconnected(request: Request, work: Coroutine[Any, Any, T]) -> T:
    """Await `work`, cancelling it (and so its runner request) if the client goes away: an
    abandoned batch must not keep the model busy."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnected(request))
    try:
        await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
        if task.done():
            return task.result()
        task.cancel()
        with contextlib.suppress(BaseException):
            await task
        raise RequestCanceled("request canceled")
    finally:
        gone.cancel()
        task.cancel()


async def _disconnected(request: Request) -> None:
    while (await request.receive())["type"] != "http.disconnect":
        pass


async def embed_result(request: Request, body: EmbedRequest) -> dict[str, Any]:
    """What `/api/embed` answers (§1.4): normalised vectors in input order, with metrics.
    `/v1/embeddings` translates into this too."""
    started = time.monotonic_ns()
    context = context_of(request)
    resolved = resolve(context.store, body.model, missing="embed")
    texts = inputs_of(body.input)
    keep_alive = parse_keep_alive(body.keep_alive)
    options = opts.effective(resolved.model.parameters, body.options, base={})
    lease = await context.scheduler.acquire(resolved.ref, options, keep_alive)
    try:
        if not texts:
            return {"model": body.model, "embeddings": []}
        # Room for the BOS and EOS tokens the tokenizer may add around each input.
        limit = lease.loaded.spec.num_ctx - 2
        truncate = body.truncate is not False
        result = await unless_disconnected(request, _embed(lease.runner, texts, limit, truncate))
    finally:
        await lease.release()
    return {
        "model": body.model,
        "embeddings": [shape(v, body.dimensions) for v in result.embeddings],
        "total_duration": time.monotonic_ns() - started,
        "load_duration": lease.load_duration_ns,
        "prompt_eval_count": result.prompt_eval_count,
    }


@router.post("/api/embed")
async def embed(request: Request) -> Response:
    body = await read(request, EmbedRequest)
    return json_response(await embed_result(request, body))


@router.post("/api/embeddings")
async def embeddings(request: Request) -> Response:
    body = await read(request, EmbeddingsRequest)
    context = context_of(request)
    resolved = resolve(context.store, body.model, missing="embed")
    keep_alive = parse_keep_alive(body.keep_alive)
    options = opts.effective(resolved.model.parameters, body.options, base={})
    lease = await context.scheduler.acquire(resolved.ref, options, keep_alive)
    try:
        if not body.prompt:
            return json_response({"embedding": []})
        limit = lease.loaded.spec.num_ctx - 2
        result = await unless_disconnected(
            request, _embed(lease.runner, [body.prompt], limit, truncate=True)
        )
    finally:
        await lease.release()
    return json_response({"embedding": result.embeddings[0]})
