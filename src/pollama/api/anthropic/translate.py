"""Anthropic Messages request → native `ChatRequest`: `system` becomes the system message;
each message's blocks become one native message (text joined, images, `thinking`, `tool_use` as
`tool_calls`), with its `tool_result` blocks as `tool` messages named after their call."""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field
from typing import Any

from pollama.api.anthropic.requests import MessageParam, MessagesRequest, PromptFields
from pollama.api.flat_tools import nested_tools
from pollama.api.openai.chat_request import native_chat, think_from_effort
from pollama.api.types import ChatRequest
from pollama.errors import BadRequest

_ROLES = ("user", "assistant")
_IGNORED_BLOCKS = ("redacted_thinking",)  # opaque to any model but Anthropic's


def system_text(system: Any) -> str | None:
    if system is None or isinstance(system, str):
        return system or None
    if not isinstance(system, list):
        raise BadRequest("system: must be a string or an array of text blocks")
    texts = []
    for index, block in enumerate(system):
        if not isinstance(block, dict) or block.get("type") != "text":
            raise BadRequest(f"system[{index}]: only text blocks are supported")
        texts.append(_text(block, f"system[{index}]"))
    return "\n".join(texts) or None


def _text(block: dict[str, Any], where: str, key: str = "text") -> str:
    text = block.get(key)
    if not isinstance(text, str):
        raise BadRequest(f"{where}: a {block.get('type')} block needs a string '{key}'")
    return text


def image_data(block: dict[str, Any], where: str) -> str:
    """The base64 payload of an image block; URL and file sources are refused."""
    source = block.get("source")
    kind = source.get("type") if isinstance(source, dict) else None
    if kind != "base64":
        raise BadRequest(f"{where}: image source {kind!r} is not supported; send base64 data")
    data = source.get("data") if isinstance(source, dict) else None
    try:
        base64.b64decode(data if isinstance(data, str) else "", validate=True)
    except (binascii.Error, ValueError):
        raise BadRequest(f"{where}: invalid base64 image data") from None
    if not data:
        raise BadRequest(f"{where}: invalid base64 image data")
    return str(data)


def _tool_result(block: dict[str, Any], where: str, names: dict[str, str]) -> dict[str, Any]:
    content = block.get("content")
    texts: list[str] = []
    images: list[str] = []
    if isinstance(content, str):
        texts.append(content)
    elif isinstance(content, list):
        for index, part in enumerate(content):
            at = f"{where}.content[{index}]"
            kind = part.get("type") if isinstance(part, dict) else None
            if isinstance(part, dict) and kind == "text":
                texts.append(_text(part, at))
            elif isinstance(part, dict) and kind == "image":
                images.append(image_data(part, at))
            else:
                raise BadRequest(f"{at}: content type {kind!r} is not supported in a tool_result")
    elif content is not None:
        raise BadRequest(f"{where}: tool_result content must be a string or an array of blocks")
    message: dict[str, Any] = {"role": "tool", "content": "".join(texts)}
    if images:
        message["images"] = images
    tool_use_id = block.get("tool_use_id")
    if isinstance(tool_use_id, str) and tool_use_id:
        message["tool_call_id"] = tool_use_id
        if tool_use_id in names:
            message["tool_name"] = names[tool_use_id]
    return message


@dataclass
class _Turn:
    """One Anthropic message's blocks, gathered."""

    texts: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    calls: list[dict[str, Any]] = field(default_factory=list)
    thinking: str = ""
    results: list[dict[str, Any]] = field(default_factory=list)

    def message(self, role: str) -> dict[str, Any] | None:
        text = "".join(self.texts)
        if not (text or self.images or self.calls or self.thinking):
            return None
        message: dict[str, Any] = {"role": role, "content": text}
        if self.images:
            message["images"] = self.images
        if self.calls:
            message["tool_calls"] = self.calls
        if self.thinking:
            message["thinking"] = self.thinking
        return message


def _tool_use(block: dict[str, Any], where: str, position: int) -> dict[str, Any]:
    name, call_id, arguments = block.get("name"), block.get("id"), block.get("input")
    if not isinstance(name, str) or not name:
        raise BadRequest(f"{where}: a tool_use block needs a 'name'")
    if not isinstance(call_id, str) or not call_id:
        raise BadRequest(f"{where}: a tool_use block needs an 'id'")
    if arguments is not None and not isinstance(arguments, dict):
        raise BadRequest(f"{where}: a tool_use block's 'input' must be an object")
    function = {"index": position, "name": name, "arguments": arguments or {}}
    return {"id": call_id, "function": function}


def _turn(message: MessageParam, where: str, names: dict[str, str]) -> _Turn:
    turn = _Turn()
    content = message.content
    if isinstance(content, str):
        turn.texts.append(content)
        return turn
    if not isinstance(content, list):
        raise BadRequest(f"{where}: content must be a string or an array of content blocks")
    for index, block in enumerate(content):
        at = f"{where}.content[{index}]"
        kind = block.get("type") if isinstance(block, dict) else None
        if not isinstance(block, dict) or not isinstance(kind, str):
            raise BadRequest(f"{at}: a content block must be an object with a 'type'")
        if kind in _IGNORED_BLOCKS:
            continue
        if kind == "text":
            turn.texts.append(_text(block, at))
        elif kind == "image":
            turn.images.append(image_data(block, at))
        elif kind == "thinking":
            turn.thinking = _text(block, at, "thinking")
        elif kind == "tool_use":
            call = _tool_use(block, at, len(turn.calls))
            names[call["id"]] = call["function"]["name"]
            turn.calls.append(call)
        elif kind == "tool_result":
            turn.results.append(_tool_result(block, at, names))
        else:
            raise BadRequest(f"{at}: content type {kind!r} is not supported")
    return turn


def native_messages(messages: list[MessageParam]) -> list[dict[str, Any]]:
    names: dict[str, str] = {}  # tool_use id → tool name
    out: list[dict[str, Any]] = []
    for index, message in enumerate(messages):
        where = f"messages[{index}]"
        role = message.role.lower()
        if role not in _ROLES:
            raise BadRequest(f"{where}: role must be 'user' or 'assistant', not {message.role!r}")
        turn = _turn(message, where, names)
        own = turn.message(role)
        # A user turn answers the calls before it: its results come first, then its text.
        out.extend(turn.results)
        if own is not None:
            out.append(own)
    return out


def native_tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    return nested_tools(tools, kinds=(None, "custom"), schema_key="input_schema")


def native_tool_choice(choice: dict[str, Any] | None) -> Any:
    """`auto` / `none` as such, `any` → "required", `tool` → that function."""
    if choice is None:
        return None
    kind = choice.get("type")
    if kind in ("auto", "none"):
        return kind
    if kind == "any":
        return "required"
    name = choice.get("name")
    if kind == "tool" and isinstance(name, str) and name:
        return {"type": "function", "function": {"name": name}}
    raise BadRequest('tool_choice: expected type "auto", "any", "none", or "tool" with a name')


def think_value(body: PromptFields) -> bool | str | None:
    """`thinking: {type: enabled | adaptive | between_tools | disabled}`, refined by
    `output_config.effort`."""
    kind = (body.thinking or {}).get("type")
    if kind not in (None, "enabled", "adaptive", "between_tools", "disabled"):
        raise BadRequest(f"thinking.type: expected 'enabled' or 'disabled', not {kind!r}")
    level = think_from_effort((body.output_config or {}).get("effort"))
    if kind == "disabled":
        return False
    if kind is None:
        return level
    return level if isinstance(level, str) else True


def output_format(body: MessagesRequest) -> Any:
    """`output_format` (or `output_config.format`) of type `json_schema` → its schema."""
    spec = body.output_format or (body.output_config or {}).get("format")
    if spec is None:
        return None
    schema = spec.get("schema") if isinstance(spec, dict) else None
    if (
        not isinstance(spec, dict)
        or spec.get("type") != "json_schema"
        or not isinstance(schema, dict)
    ):
        raise BadRequest("output_format: expected {'type': 'json_schema', 'schema': {...}}")
    return schema


def prompt_fields(body: PromptFields) -> dict[str, Any]:
    """The native fields that shape the prompt: model, messages, tools and thinking."""
    if not body.messages:
        raise BadRequest("messages: at least one message is required")
    system = system_text(body.system)
    messages = [{"role": "system", "content": system}] if system else []
    messages.extend(native_messages(body.messages))
    return {
        "model": body.model,
        "messages": messages,
        "tools": native_tools(body.tools),
        "tool_choice": native_tool_choice(body.tool_choice),
        "think": think_value(body),
    }


def count_request(body: PromptFields) -> ChatRequest:
    return native_chat(prompt_fields(body))


def messages_chat_request(body: MessagesRequest) -> ChatRequest:
    if body.max_tokens is None:
        raise BadRequest("max_tokens: Field required")
    if body.max_tokens < 1:
        raise BadRequest("max_tokens: must be at least 1")
    sampling = {
        "num_predict": body.max_tokens,
        "temperature": body.temperature,
        "top_p": body.top_p,
        "top_k": body.top_k,
        "stop": body.stop_sequences or None,
        "num_ctx": body.num_ctx,
    }
    return native_chat(
        {
            **prompt_fields(body),
            "stream": bool(body.stream),
            "options": {key: value for key, value in sampling.items() if value is not None},
            "format": output_format(body),
            "keep_alive": body.keep_alive,
        }
    )
