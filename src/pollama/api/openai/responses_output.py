"""Native chat answers → Responses API objects: the `response` object that echoes the
request, and its output items (reasoning, an assistant message, function calls)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from pollama.api.flat_tools import arguments_json
from pollama.api.openai.common import chat_logprobs, unix_now
from pollama.api.openai.requests import ResponsesRequest
from pollama.runner.types import TokenLogprob
from pollama.serving.chunks import NativeChunk


def new_id(prefix: str) -> str:
    """`resp_…`, `msg_…`, `rs_…`, `fc_…`: a prefix and 24 hex digits, as OpenAI's ids look."""
    return f"{prefix}_{secrets.token_hex(12)}"


def output_text(text: str, logprobs: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {"type": "output_text", "text": text, "annotations": [], "logprobs": logprobs or []}


def message_item(
    id: str, text: str, *, status: str = "completed", logprobs: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "id": id,
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": [output_text(text, logprobs)],
    }


def reasoning_item(id: str, thinking: str) -> dict[str, Any]:
    # Like Ollama, the thinking also rides in `encrypted_content` (as plain text), so clients
    # that pass reasoning back by that field keep it.
    return {
        "id": id,
        "type": "reasoning",
        "summary": [{"type": "summary_text", "text": thinking}],
        "encrypted_content": thinking,
    }


def function_call_item(call: dict[str, Any], *, status: str = "completed") -> dict[str, Any]:
    function = call.get("function") or {}
    return {
        "id": new_id("fc"),
        "type": "function_call",
        "status": status,
        "call_id": call.get("id") or new_id("call"),
        "name": function.get("name", ""),
        "arguments": arguments_json(function.get("arguments") or {}),
    }


def token_logprobs(native: list[TokenLogprob]) -> list[dict[str, Any]]:
    return chat_logprobs(native)["content"] if native else []


def output_items(native: NativeChunk) -> list[dict[str, Any]]:
    """The items of a collected native answer: reasoning, then the message (left out when the
    answer is only tool calls), then one item per call."""
    calls = native.tool_calls
    content = native.content
    items = []
    if native.thinking:
        items.append(reasoning_item(new_id("rs"), native.thinking))
    if content.strip() or not calls:
        logprobs = token_logprobs(native.logprobs)
        items.append(message_item(new_id("msg"), content, logprobs=logprobs))
    items.extend(function_call_item(call) for call in calls)
    return items


def response_usage(native_final: NativeChunk) -> dict[str, Any]:
    prompt = native_final.metrics.prompt_eval_count
    completion = native_final.metrics.eval_count
    return {
        "input_tokens": prompt,
        "input_tokens_details": {"cached_tokens": native_final.prompt_cache_count},
        "output_tokens": completion,
        "output_tokens_details": {"reasoning_tokens": 0},
        "total_tokens": prompt + completion,
    }


def final_status(native_final: NativeChunk) -> tuple[str, dict[str, Any] | None]:
    """`completed`, or `incomplete` with its reason when generation hit `max_output_tokens`."""
    if native_final.done_reason == "length":
        return "incomplete", {"reason": "max_output_tokens"}
    return "completed", None


@dataclass
class ResponseShell:
    """One response's identity and what its object echoes from the request."""

    body: ResponsesRequest
    id: str = field(default_factory=lambda: new_id("resp"))
    created_at: int = field(default_factory=unix_now)

    def object(
        self,
        status: str,
        output: list[dict[str, Any]],
        *,
        usage: dict[str, Any] | None = None,
        incomplete: dict[str, Any] | None = None,
        error: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        body = self.body
        reasoning = body.reasoning or {}
        return {
            "id": self.id,
            "object": "response",
            "created_at": self.created_at,
            "completed_at": unix_now() if status == "completed" else None,
            "status": status,
            "error": error,
            "incomplete_details": incomplete,
            "model": body.model,
            "instructions": body.instructions,
            "output": output,
            "usage": usage,
            "tools": body.tools or [],
            "tool_choice": body.tool_choice if body.tool_choice is not None else "auto",
            "parallel_tool_calls": body.parallel_tool_calls is not False,
            "text": {"format": (body.text or {}).get("format") or {"type": "text"}},
            "reasoning": (
                {"effort": reasoning.get("effort"), "summary": reasoning.get("summary")}
                if body.reasoning is not None
                else None
            ),
            "temperature": 1.0 if body.temperature is None else body.temperature,
            "top_p": 1.0 if body.top_p is None else body.top_p,
            "presence_penalty": body.presence_penalty or 0.0,
            "frequency_penalty": body.frequency_penalty or 0.0,
            "top_logprobs": body.top_logprobs or 0,
            "max_output_tokens": body.max_output_tokens,
            "max_tool_calls": None,
            "truncation": body.truncation or "disabled",
            "previous_response_id": None,
            "metadata": body.metadata or {},
            "store": False,
            "background": False,
            "service_tier": "default",
            "user": None,
        }

    def answer(self, native: NativeChunk) -> dict[str, Any]:
        """The non-streamed response from the collected native answer."""
        status, incomplete = final_status(native)
        return self.object(
            status, output_items(native), usage=response_usage(native), incomplete=incomplete
        )
