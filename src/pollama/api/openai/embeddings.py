"""`POST /v1/embeddings`: translated into `/api/embed`."""

from __future__ import annotations

import base64
import struct
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama.api.embed import embed_result
from pollama.api.openai.requests import EmbeddingRequest
from pollama.api.types import EmbedRequest
from pollama.errors import BadRequest
from pollama.server.http import json_response, read
from pollama.serving.embed_answer import EmbedAnswer

router = APIRouter()

ENCODINGS = ("float", "base64")


def embed_input(value: Any) -> str | list[Any]:
    """A string or a list of them; `""` embeds one empty text, null and `[]` are refused."""
    if value == "":
        return [""]
    if value is None or value == []:
        raise BadRequest("invalid input")
    if isinstance(value, str | list):
        return value
    raise BadRequest("invalid input type")


def encoding_of(value: str | None) -> str:
    if value is None or value == "":
        return "float"
    if value not in ENCODINGS:
        raise BadRequest(
            f"Invalid value for 'encoding_format' = {value}. Supported values: ['float', 'base64']."
        )
    return value


def base64_floats(vector: list[float]) -> str:
    """The vector as little-endian float32 bytes, base64-encoded (what the SDKs decode)."""
    return base64.b64encode(struct.pack(f"<{len(vector)}f", *vector)).decode("ascii")


def embedding_list(native: EmbedAnswer, encoding: str) -> dict[str, Any]:
    data = [
        {
            "object": "embedding",
            "embedding": base64_floats(vector) if encoding == "base64" else vector,
            "index": index,
        }
        for index, vector in enumerate(native.embeddings)
    ]
    tokens = native.metrics.prompt_eval_count if native.metrics else 0
    return {
        "object": "list",
        "data": data,
        "model": native.model,
        "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
    }


@router.post("/v1/embeddings")
async def embeddings(request: Request) -> Response:
    body = await read(request, EmbeddingRequest)
    encoding = encoding_of(body.encoding_format)
    native_body = EmbedRequest(
        model=body.model,
        input=embed_input(body.input),
        dimensions=body.dimensions,
        keep_alive=body.keep_alive,
    )
    return json_response(embedding_list(await embed_result(request, native_body), encoding))
