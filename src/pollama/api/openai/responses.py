"""`POST /v1/responses`, the stateless Responses API: translated into `/api/chat`'s
preparation, like `/v1/chat/completions`."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama.api.inference import prepare_chat
from pollama.api.openai.requests import ResponsesRequest
from pollama.api.openai.responses_output import ResponseShell
from pollama.api.openai.responses_request import responses_chat_request
from pollama.api.openai.responses_stream import ResponseStream
from pollama.server.http import json_response, read
from pollama.server.sse import answer_of, named_sse_response

router = APIRouter()


@router.post("/v1/responses")
async def responses(request: Request) -> Response:
    body = await read(request, ResponsesRequest)
    prepared = await prepare_chat(request, responses_chat_request(body))
    shell = ResponseShell(body)
    if body.stream:
        stream = ResponseStream(shell)
        return await named_sse_response(prepared, stream)
    return json_response(shell.answer(await answer_of(prepared, "chat")))
