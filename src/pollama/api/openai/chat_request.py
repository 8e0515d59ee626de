"""`/v1/chat/completions` request → native `ChatRequest`, field by field as
Ollama's openai/openai.go maps it."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from pydantic import ValidationError

from pollama.api.openai.common import sampling_options, stop_list
from pollama.api.openai.requests import ChatCompletionRequest, ChatMessage
from pollama.api.types import ChatRequest
from pollama.errors import BadRequest

_IMAGE_KINDS = ("jpeg", "jpg", "png", "webp")
_IMAGE_PREFIXES = (*(f"data:image/{kind};base64," for kind in _IMAGE_KINDS), "data:;base64,")

# reasoning_effort → native `think`
_EFFORTS: dict[str, bool | str] = {
    "none": False,
    "minimal": "low",
    "low": "low",
    "medium": "medium",
    "high": "high",
    "max": "max",
    "xhigh": "max",
    "ultra": "max",
}


def image_data(url: str) -> str:
    """The base64 payload of a data URL, checked; remote URLs are refused."""
    if url.startswith(("http://", "https://")):
        raise BadRequest(
            "image URLs are not currently supported, please use base64 encoded data instead"
        )
    for prefix in _IMAGE_PREFIXES:
        if url.startswith(prefix):
            payload = url[len(prefix) :]
            try:
                base64.b64decode(payload, validate=True)
            except (binascii.Error, ValueError):
                raise BadRequest("invalid image input") from None
            return payload
    raise BadRequest("invalid image input")


def _part_message(role: str, part: Any) -> dict[str, Any]:
    if not isinstance(part, dict):
        raise BadRequest("invalid message format")
    kind = part.get("type")
    if kind == "text":
        text = part.get("text")
        if not isinstance(text, str):
            raise BadRequest("invalid message format")
        return {"role": role, "content": text}
    if kind == "image_url":
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else image
        if not isinstance(url, str):
            raise BadRequest("invalid message format")
        return {"role": role, "content": "", "images": [image_data(url)]}
    if kind == "input_audio":
        audio = part.get("input_audio")
        data = audio.get("data") if isinstance(audio, dict) else None
        if not isinstance(data, str):
            raise BadRequest("invalid message format")
        return {"role": role, "content": "", "images": [data]}
    raise BadRequest("invalid message format")


def _tool_calls(message: ChatMessage, names_by_id: dict[str, str]) -> list[dict[str, Any]]:
    calls = []
    for position, call in enumerate(message.tool_calls or []):
        arguments = call.function.arguments
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except (ValueError, RecursionError):  # bad JSON, a huge number, absurd nesting
                raise BadRequest("invalid tool call arguments") from None
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, dict):
            raise BadRequest("invalid tool call arguments")
        if call.id:
            names_by_id[call.id] = call.function.name
        native: dict[str, Any] = {
            "function": {
                "index": call.index if call.index is not None else position,
                "name": call.function.name,
                "arguments": arguments,
            }
        }
        if call.id:
            native["id"] = call.id
        calls.append(native)
    return calls


def native_messages(messages: list[ChatMessage]) -> list[dict[str, Any]]:
    """OpenAI messages as native ones: each content part becomes its own message (same role),
    `reasoning` becomes `thinking`, tool results are named after the call they answer."""
    names_by_id: dict[str, str] = {}
    out: list[dict[str, Any]] = []
    for message in messages:
        role = message.role.lower()
        content = message.content
        produced: list[dict[str, Any]]
        if isinstance(content, str):
            produced = [{"role": role, "content": content}]
        elif isinstance(content, list):
            produced = [_part_message(role, part) for part in content]
        elif content is None and (message.tool_calls or message.reasoning):
            produced = [{"role": role, "content": ""}]
        else:
            raise BadRequest(f"invalid message content type: {_json_kind(content)}")
        if not produced:
            produced = [{"role": role, "content": ""}]
        last = produced[-1]
        if message.reasoning:
            last["thinking"] = message.reasoning
        calls = _tool_calls(message, names_by_id)
        if calls:
            last["tool_calls"] = calls
        if role == "tool":
            tool_name = message.name or names_by_id.get(message.tool_call_id or "")
            for item in produced:
                if tool_name:
                    item["tool_name"] = tool_name
                if message.tool_call_id:
                    item["tool_call_id"] = message.tool_call_id
        out.extend(produced)
    return out


def _json_kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "object"


def response_format(value: dict[str, Any] | None) -> Any:
    """`json_object` → `"json"`, `json_schema` → its schema, `text` (or none) → no format."""
    if not value:
        return None
    kind = value.get("type")
    if kind == "json_object":
        return "json"
    if kind == "json_schema":
        spec = value.get("json_schema")
        schema = spec.get("schema") if isinstance(spec, dict) else None
        return schema if schema is not None else None
    return None


def think_value(body: ChatCompletionRequest) -> bool | str | None:
    effort = body.reasoning_effort
    if effort is None and body.reasoning is not None:
        effort = body.reasoning.get("effort")
    return think_from_effort(effort)


def think_from_effort(effort: Any) -> bool | str | None:
    """A reasoning effort (`none`, `low`, ..., or an alias) as the native `think` value."""
    if effort is None:
        return None
    if isinstance(effort, str) and effort in _EFFORTS:
        return _EFFORTS[effort]
    raise BadRequest(
        f'invalid reasoning value: \'{effort}\' (must be "none", "minimal", "low", '
        '"medium", "high", "xhigh" or "max")'
    )


def chat_request(body: ChatCompletionRequest) -> ChatRequest:
    if not body.messages:
        raise BadRequest("[] is too short - 'messages'")
    num_predict = body.max_completion_tokens
    if num_predict is None:
        num_predict = body.max_tokens
    options = sampling_options(body, num_predict=num_predict)
    stop = stop_list(body.stop, strict=False)
    if stop is not None:
        options["stop"] = stop
    native: dict[str, Any] = {
        "model": body.model,
        "messages": native_messages(body.messages),
        "stream": bool(body.stream),
        "options": options,
        "format": response_format(body.response_format),
        "tools": body.tools,
        "tool_choice": body.tool_choice,
        "think": think_value(body),
        "keep_alive": body.keep_alive,
        "logprobs": bool(body.logprobs),
        "top_logprobs": body.top_logprobs or 0,
    }
    return native_chat(native)


def native_chat(fields: dict[str, Any]) -> ChatRequest:
    """The native request from translated fields (None meaning unset); a bad value is a 400."""
    try:
        return ChatRequest.model_validate({k: v for k, v in fields.items() if v is not None})
    except ValidationError as exc:
        raise BadRequest(f"invalid request: {exc.errors()[0]['msg']}") from None
