"""`/api/embed` and the legacy `/api/embeddings` (§1.4)."""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama import options as opts
from pollama.api.context import context_of
from pollama.api.http import json_response, read
from pollama.api.types import EmbeddingsRequest, EmbedRequest
from pollama.durations import parse_keep_alive
from pollama.serving.embedding import fit_inputs, inputs_of, shape
from pollama.serving.resolve import resolve

router = APIRouter()


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
        texts = await fit_inputs(lease.runner, texts, limit, body.truncate is not False)
        result = await lease.runner.embed(texts)
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
        texts = await fit_inputs(lease.runner, [body.prompt], limit, truncate=True)
        result = await lease.runner.embed(texts)
    finally:
        await lease.release()
    return json_response({"embedding": result.embeddings[0]})
