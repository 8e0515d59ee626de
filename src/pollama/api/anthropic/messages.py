"""`POST /v1/messages` and `POST /v1/messages/count_tokens`, translated into `/api/chat`'s
preparation."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from pollama.api.anthropic.output import message, message_id
from pollama.api.anthropic.requests import MessagesRequest, PromptFields
from pollama.api.anthropic.stream import MessageStream
from pollama.api.anthropic.translate import count_request, messages_chat_request
from pollama.api.inference import count_chat_tokens, prepare_chat
from pollama.api.types import ChatRequest
from pollama.server.context import context_of
from pollama.server.http import json_response, read
from pollama.server.sse import answer_of, named_sse_response
from pollama.serving.resolve import resolve

router = APIRouter()


def _relax_think(request: Request, native: ChatRequest) -> ChatRequest:
    """Claude clients ask for thinking whatever the model is; a model without the capability
    answers without thinking instead of refusing (as Ollama does here)."""
    if not native.think or not native.model:
        return native
    if "thinking" in resolve(context_of(request).store, native.model).capabilities:
        return native
    return native.model_copy(update={"think": None})


@router.post("/v1/messages")
async def messages(request: Request) -> Response:
    body = await read(request, MessagesRequest)
    native = _relax_think(request, messages_chat_request(body))
    prepared = await prepare_chat(request, native)
    if body.stream:
        stream = MessageStream(model=body.model)
        return await named_sse_response(prepared, stream)
    answer = await answer_of(prepared, "chat")
    return json_response(message(answer, id=message_id(), model=body.model))


@router.post("/v1/messages/count_tokens")
async def count_tokens(request: Request) -> Response:
    body = await read(request, PromptFields)
    native = _relax_think(request, count_request(body))
    return json_response({"input_tokens": await count_chat_tokens(request, native)})
