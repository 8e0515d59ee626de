"""Native chat answers → Anthropic `message` objects: content blocks (thinking, text,
tool_use), the stop reason and the usage."""

from __future__ import annotations

import secrets
from typing import Any

from pollama.serving.chunks import NativeChunk


def message_id() -> str:
    return f"msg_{secrets.token_hex(12)}"


def stop_reason(native_final: NativeChunk, *, tool_calls: bool) -> str:
    if tool_calls:
        return "tool_use"
    if native_final.done_reason == "length":
        return "max_tokens"
    return "end_turn"


def usage(native_final: NativeChunk | None) -> dict[str, int]:
    """Anthropic counts cache reads apart from `input_tokens`; their sum is the whole prompt.
    Before the answer (None) every count is zero."""
    metrics, cache = (
        (native_final.metrics, native_final.prompt_cache_count) if native_final else (None, 0)
    )
    prompt = metrics.prompt_eval_count if metrics else 0
    cached = min(cache, prompt)
    return {
        "input_tokens": prompt - cached,
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": 0,
        "output_tokens": metrics.eval_count if metrics else 0,
    }


def thinking_block(text: str) -> dict[str, Any]:
    return {"type": "thinking", "thinking": text, "signature": ""}


def text_block(text: str) -> dict[str, Any]:
    return {"type": "text", "text": text}


def tool_use_block(call: dict[str, Any], arguments: Any = None) -> dict[str, Any]:
    function = call.get("function") or {}
    return {
        "type": "tool_use",
        "id": call.get("id") or f"toolu_{secrets.token_hex(12)}",
        "name": function.get("name", ""),
        "input": (function.get("arguments") or {}) if arguments is None else arguments,
    }


def envelope(id: str, model: str, content: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "id": id,
        "type": "message",
        "role": "assistant",
        "model": model,
        "content": content,
        "stop_reason": None,
        "stop_sequence": None,
        "usage": usage(None),
    }


def message(native: NativeChunk, *, id: str, model: str) -> dict[str, Any]:
    """The non-streamed answer from the collected native answer. Whitespace before tool calls
    is left out, as the stream leaves it out."""
    calls = native.tool_calls
    content = native.content
    blocks = []
    if native.thinking:
        blocks.append(thinking_block(native.thinking))
    if content.strip() or (content and not calls):
        blocks.append(text_block(content))
    blocks.extend(tool_use_block(call) for call in calls)
    answer = envelope(id, model, blocks)
    answer["stop_reason"] = stop_reason(native, tool_calls=bool(calls))
    answer["usage"] = usage(native)
    return answer
