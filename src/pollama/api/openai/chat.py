"""`POST /v1/chat/completions`: translated into `/api/chat`'s preparation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama.api.inference import prepare_chat
from pollama.api.openai.chat_request import chat_request
from pollama.api.openai.chat_response import ChatStream, chat_completion
from pollama.api.openai.requests import ChatCompletionRequest
from pollama.server.http import json_response, read
from pollama.server.sse import answer_of, sse_response

router = APIRouter()


@router.post("/v1/chat/completions")
async def chat_completions(request: Request) -> Response:
    body = await read(request, ChatCompletionRequest)
    native = chat_request(body)
    prepared = await prepare_chat(request, native)
    stream = ChatStream(model=body.model, include_usage=body.include_usage)
    if body.stream:
        return await sse_response(prepared, stream.translate, stream.tail)
    answer = await answer_of(prepared, "chat")
    return json_response(chat_completion(answer, id=stream.id, created=stream.created))
