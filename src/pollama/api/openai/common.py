"""Pieces every `/v1` translation shares: ids, usage, finish reasons, sampling options
(Ollama's openai/openai.go)."""

from __future__ import annotations

import random
import time
from typing import Any

from pollama.api.flat_tools import arguments_json
from pollama.api.openai.requests import SamplingFields
from pollama.errors import BadRequest
from pollama.runner.types import TokenLogprob, TopLogprob
from pollama.serving.chunks import NativeChunk

SYSTEM_FINGERPRINT = "fp_ollama"


def completion_id(prefix: str) -> str:
    """`chatcmpl-<n>` / `cmpl-<n>` with n in 0..998, as Ollama numbers them."""
    return f"{prefix}-{random.randrange(999)}"


def unix_now() -> int:
    return int(time.time())


def usage(native_final: NativeChunk) -> dict[str, int]:
    prompt = native_final.metrics.prompt_eval_count
    completion = native_final.metrics.eval_count
    return {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }


def finish_reason(native_final: NativeChunk, *, tool_calls: bool = False) -> str | None:
    reason = native_final.done_reason or None
    if reason == "stop" and tool_calls:
        return "tool_calls"
    return reason


def stop_list(stop: Any, *, strict: bool) -> list[str] | None:
    """`stop` as a string or an array; non-strings in the array are dropped, or refused."""
    if stop is None:
        return None
    if isinstance(stop, str):
        return [stop]
    if isinstance(stop, list):
        if strict:
            for item in stop:
                if not isinstance(item, str):
                    raise BadRequest(f"invalid type for 'stop' field: {type(item).__name__}")
        return [item for item in stop if isinstance(item, str)]
    raise BadRequest(f"invalid type for 'stop' field: {type(stop).__name__}")


def sampling_options(body: SamplingFields, *, num_predict: int | None) -> dict[str, Any]:
    """The native `options`: temperature and top_p default to 1.0, overriding the Modelfile."""
    options: dict[str, Any] = {
        "temperature": 1.0 if body.temperature is None else body.temperature,
        "top_p": 1.0 if body.top_p is None else body.top_p,
    }
    optional = {
        "num_predict": num_predict,
        "seed": body.seed,
        "frequency_penalty": body.frequency_penalty,
        "presence_penalty": body.presence_penalty,
        "num_ctx": body.num_ctx,
    }
    options.update({key: value for key, value in optional.items() if value is not None})
    return options


def openai_tool_call(call: dict[str, Any], fallback_index: int) -> dict[str, Any]:
    function = call.get("function") or {}
    index = function.get("index")
    return {
        "id": call.get("id") or "",
        "index": index if isinstance(index, int) else fallback_index,
        "type": "function",
        "function": {
            "name": function.get("name", ""),
            "arguments": arguments_json(function.get("arguments") or {}),
        },
    }


def _top_entry(entry: TokenLogprob | TopLogprob) -> dict[str, Any]:
    return {"token": entry.token, "logprob": entry.logprob, "bytes": entry.bytes}


def chat_logprobs(native: list[TokenLogprob]) -> dict[str, Any]:
    """Native logprobs as `choices[].logprobs` of a chat completion: `{"content": [...]}`."""
    content = [
        {**_top_entry(e), "top_logprobs": [_top_entry(t) for t in e.top_logprobs]} for e in native
    ]
    return {"content": content}
