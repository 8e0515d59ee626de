"""`/api/embed` and the legacy `/api/embeddings` (Ollama's server/routes.go: EmbedHandler,
EmbeddingsHandler)."""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Coroutine
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama import options as opts
from pollama.api.types import EmbeddingsRequest, EmbedRequest
from pollama.errors import RequestCanceled
from pollama.go.time import parse_keep_alive
from pollama.runner.types import EmbedResult
from pollama.scheduler import Lease
from pollama.server.context import context_of
from pollama.server.http import json_response, read
from pollama.serving.embed_answer import EmbedAnswer, EmbedMetrics
from pollama.serving.embedding import fit_inputs, inputs_of, shape
from pollama.serving.resolve import resolve
from pollama.serving.usage import usage_of

router = APIRouter()
T = TypeVar("T")


async def _embed(request: Request, lease: Lease, texts: list[str], truncate: bool) -> EmbedResult:
    """The vectors of `texts` (fitted to the context), their tokens told to the metrics."""
    runner = lease.runner
    result = await runner.embed(await fit_inputs(runner, texts, _input_limit(lease), truncate))
    usage_of(request).completed(
        lease.model.name, prompt=result.prompt_eval_count, generated=0, cached=0
    )
    return result


def _input_limit(lease: Lease) -> int:
    """Tokens an input may have: room is left for the BOS and EOS the tokenizer may add."""
    return lease.spec.num_ctx - 2


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


async def embed_result(request: Request, body: EmbedRequest) -> EmbedAnswer:
    """What `/api/embed` answers: L2-normalised vectors in input order, with metrics.
    `/v1/embeddings` translates into this too."""
    started = time.monotonic_ns()
    context = context_of(request)
    resolved = resolve(context.store, body.model, missing="embed")
    texts = inputs_of(body.input)
    keep_alive = parse_keep_alive(body.keep_alive)
    options = opts.effective(resolved.model.parameters, body.options, base={})
    async with await context.scheduler.acquire(resolved.ref, options, keep_alive) as lease:
        if not texts:
            return EmbedAnswer(body.model)
        truncate = body.truncate is not False
        result = await unless_disconnected(request, _embed(request, lease, texts, truncate))
    return EmbedAnswer(
        body.model,
        [shape(v, body.dimensions) for v in result.embeddings],
        EmbedMetrics(
            total_duration=time.monotonic_ns() - started,
            load_duration=lease.load_duration_ns,
            prompt_eval_count=result.prompt_eval_count,
        ),
    )


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
    async with await context.scheduler.acquire(resolved.ref, options, keep_alive) as lease:
        if not body.prompt:
            return json_response({"embedding": []})
        result = await unless_disconnected(
            request, _embed(request, lease, [body.prompt], truncate=True)
        )
    return json_response({"embedding": result.embeddings[0]})
