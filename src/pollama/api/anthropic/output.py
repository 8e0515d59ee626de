"""Native chat answers → Anthropic `message` objects: content blocks (thinking, text,
tool_use), the stop reason and the usage."""

from __future__ import annotations

import secrets
from typing import Any


def message_id() -> str:
    return f"msg_{secrets.token_hex(12)}"


def stop_reason(native_final: dict[str, Any], *, tool_calls: bool) -> str:
    if tool_calls:
        return "tool_use"
    if native_final.get("done_reason") == "length":
        return "max_tokens"
    return "end_turn"


def usage(native_final: dict[str, Any]) -> dict[str, int]:
    """Anthropic counts cache reads apart from `input_tokens`; their sum is the whole prompt."""
    prompt = int(native_final.get("prompt_eval_count") or 0)
    cached = min(int(native_final.get("prompt_cache_count") or 0), prompt)
    return {
        "input_tokens": prompt - cached,
        "cache_read_input_tokens": cached,
        "cache_creation_input_tokens": 0,
        "output_tokens": int(native_final.get("eval_count") or 0),
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
        "usage": usage({}),
    }


def message(native: dict[str, Any], *, id: str, model: str) -> dict[str, Any]:
    """The non-streamed answer from the collected native answer. Whitespace before tool calls
    is left out, as the stream leaves it out."""
    source = native.get("message") or {}
    calls = source.get("tool_calls") or []
    content = source.get("content", "")
    blocks = []
    if source.get("thinking"):
        blocks.append(thinking_block(source["thinking"]))
    if content.strip() or (content and not calls):
        blocks.append(text_block(content))
    blocks.extend(tool_use_block(call) for call in calls)
    answer = envelope(id, model, blocks)
    answer["stop_reason"] = stop_reason(native, tool_calls=bool(calls))
    answer["usage"] = usage(native)
    return answer
