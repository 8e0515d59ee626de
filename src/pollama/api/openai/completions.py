"""`POST /v1/completions`: translated into `/api/generate`'s preparation."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic import ValidationError

from pollama.api.inference import prepare_generate
from pollama.api.openai.common import (
    SYSTEM_FINGERPRINT,
    completion_id,
    finish_reason,
    sampling_options,
    stop_list,
    unix_now,
    usage,
)
from pollama.api.openai.requests import CompletionRequest
from pollama.api.types import GenerateRequest
from pollama.errors import BadRequest
from pollama.runner.types import TokenLogprob
from pollama.server.http import json_response, read
from pollama.server.sse import answer_of, sse_response
from pollama.serving.chunks import NativeChunk

router = APIRouter()

_ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}


def generate_request(body: CompletionRequest) -> GenerateRequest:
    options = sampling_options(body, num_predict=body.max_tokens)
    if not body.top_p:
        options["top_p"] = 1.0
    options.setdefault("frequency_penalty", 0.0)
    options.setdefault("presence_penalty", 0.0)
    stop = stop_list(body.stop, strict=True)
    if stop is not None:
        options["stop"] = stop
    native: dict[str, Any] = {
        "model": body.model,
        "prompt": body.prompt,
        "suffix": body.suffix,
        "stream": bool(body.stream),
        "options": options,
        "keep_alive": body.keep_alive,
        "logprobs": body.logprobs is not None,
        "top_logprobs": body.logprobs or 0,
    }
    try:
        return GenerateRequest.model_validate({k: v for k, v in native.items() if v is not None})
    except ValidationError as exc:
        raise BadRequest(f"invalid request: {exc.errors()[0]['msg']}") from None


@dataclass
class TextLogprobs:
    """OpenAI's completions logprobs: parallel lists plus each token's offset in the text."""

    offset: int = 0
    tokens: list[str] = field(default_factory=list)
    token_logprobs: list[float] = field(default_factory=list)
    top_logprobs: list[dict[str, float]] = field(default_factory=list)
    text_offset: list[int] = field(default_factory=list)

    def add(self, native: list[TokenLogprob]) -> dict[str, Any]:
        """Record native logprobs; returns just these as the OpenAI object."""
        part = TextLogprobs(self.offset)
        for entry in native:
            token = entry.token
            part.tokens.append(token)
            part.token_logprobs.append(entry.logprob)
            part.top_logprobs.append({t.token: t.logprob for t in entry.top_logprobs})
            part.text_offset.append(part.offset)
            part.offset += len(token)
        self.offset = part.offset
        self.tokens += part.tokens
        self.token_logprobs += part.token_logprobs
        self.top_logprobs += part.top_logprobs
        self.text_offset += part.text_offset
        return part.as_dict()

    def as_dict(self) -> dict[str, Any]:
        return {
            "tokens": self.tokens,
            "token_logprobs": self.token_logprobs,
            "top_logprobs": self.top_logprobs,
            "text_offset": self.text_offset,
        }


@dataclass
class CompletionStream:
    """Native generate chunks → `text_completion` objects (streamed, or the one answer)."""

    model: str
    echo_prompt: str = ""  # prepended to the text when `echo` is true
    include_usage: bool = False
    id: str = field(default_factory=lambda: completion_id("cmpl"))
    created: int = field(default_factory=unix_now)
    _echoed: bool = False
    _logprobs: TextLogprobs = field(default_factory=TextLogprobs)
    _final: NativeChunk | None = None

    def __post_init__(self) -> None:
        self._logprobs.offset = len(self.echo_prompt)

    def _text(self, native: NativeChunk) -> str:
        text = native.content
        if not self._echoed:
            self._echoed = True
            return self.echo_prompt + text
        return text

    def _object(self, choices: list[dict[str, Any]]) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "text_completion",
            "created": self.created,
            "model": self.model,
            "system_fingerprint": SYSTEM_FINGERPRINT,
            "choices": choices,
        }

    def translate(self, native: NativeChunk) -> list[dict[str, Any]]:
        reason = None
        if native.done:
            self._final = native
            reason = finish_reason(native)
        choice: dict[str, Any] = {"text": self._text(native), "index": 0, "finish_reason": reason}
        if native.logprobs:
            choice["logprobs"] = self._logprobs.add(native.logprobs)
        chunk = self._object([choice])
        if self.include_usage:
            chunk["usage"] = dict(_ZERO_USAGE)
        return [chunk]

    def tail(self) -> list[dict[str, Any]]:
        if not self.include_usage or self._final is None:
            return []
        chunk = self._object([])
        chunk["usage"] = usage(self._final)
        return [chunk]

    def completion(self, native: NativeChunk) -> dict[str, Any]:
        """The non-streamed answer from the collected native answer."""
        choice: dict[str, Any] = {
            "text": self._text(native),
            "index": 0,
            "finish_reason": finish_reason(native),
        }
        if native.logprobs:
            self._logprobs.add(native.logprobs)
            choice["logprobs"] = self._logprobs.as_dict()
        answer = self._object([choice])
        answer["usage"] = usage(native)
        return answer


@router.post("/v1/completions")
async def completions(request: Request) -> Response:
    body = await read(request, CompletionRequest)
    prepared = await prepare_generate(request, generate_request(body))
    stream = CompletionStream(
        model=body.model,
        echo_prompt=body.prompt if body.echo else "",
        include_usage=body.include_usage,
    )
    if body.stream:
        return await sse_response(prepared, stream.translate, stream.tail)
    return json_response(stream.completion(await answer_of(prepared, "generate")))
