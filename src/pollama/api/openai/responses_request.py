"""`/v1/responses` request → native `ChatRequest`: `instructions` become the system
message; input items become messages, function calls and their outputs become tool calls and
`tool` messages; `text.format` becomes `format`; `reasoning.effort` becomes `think`."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pollama.api.flat_tools import nested_tools
from pollama.api.openai.chat_request import image_data, native_chat, think_from_effort
from pollama.api.openai.common import sampling_options, stop_list
from pollama.api.openai.requests import ResponsesRequest
from pollama.api.types import ChatRequest
from pollama.errors import BadRequest

LOGPROBS_INCLUDE = "message.output_text.logprobs"
_ROLES = {"user": "user", "system": "system", "developer": "system", "assistant": "assistant"}
_TEXT_PARTS = ("input_text", "output_text", "text", "refusal")


def _text_of(part: dict[str, Any], where: str) -> str:
    text = part.get("refusal") if part.get("type") == "refusal" else part.get("text")
    if not isinstance(text, str):
        raise BadRequest(f"{where}: a {part.get('type')} part needs a string 'text'")
    return text


def _image_of(part: dict[str, Any], where: str) -> str:
    url = part.get("image_url")
    if isinstance(url, str):
        return image_data(url)
    if part.get("file_id"):
        raise BadRequest(f"{where}: images by file_id are not supported; send a data URL")
    raise BadRequest(f"{where}: an input_image part needs an 'image_url'")


def content_of(value: Any, where: str) -> tuple[str, list[str]]:
    """A string, or an array of content parts, as the message text and its images."""
    if isinstance(value, str):
        return value, []
    if value is None:
        return "", []
    if not isinstance(value, list):
        raise BadRequest(f"{where}: content must be a string or an array of parts")
    texts: list[str] = []
    images: list[str] = []
    for index, part in enumerate(value):
        at = f"{where}.content[{index}]"
        kind = part.get("type") if isinstance(part, dict) else None
        if isinstance(part, dict) and kind in _TEXT_PARTS:
            texts.append(_text_of(part, at))
        elif isinstance(part, dict) and kind == "input_image":
            images.append(_image_of(part, at))
        elif kind == "input_file":
            raise BadRequest(f"{at}: file inputs are not supported")
        else:
            raise BadRequest(f"{at}: unknown content type: {kind!r}")
    return "".join(texts), images


def _arguments(value: Any, where: str) -> dict[str, Any]:
    if value is None or value == "":
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):  # bad JSON, a huge number, absurd nesting
            raise BadRequest(f"{where}: 'arguments' is not valid JSON") from None
    if not isinstance(value, dict):
        raise BadRequest(f"{where}: 'arguments' must be a JSON object")
    return value


def _reasoning_text(item: dict[str, Any]) -> str:
    """The thinking a reasoning item carries: its content, else its summary, else the
    `encrypted_content` (which pollama, like Ollama, fills with the plain text)."""
    for key in ("content", "summary"):
        parts = item.get(key)
        if isinstance(parts, list):
            text = "".join(p.get("text", "") for p in parts if isinstance(p, dict))
            if text:
                return text
    encrypted = item.get("encrypted_content")
    return encrypted if isinstance(encrypted, str) else ""


@dataclass
class Conversation:
    """Input items folded into native messages, in order."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    _thinking: str = ""  # from a reasoning item, for the next assistant message
    _names: dict[str, str] = field(default_factory=dict)  # call_id → function name

    def add(self, item: Any, where: str) -> None:
        if not isinstance(item, dict):
            raise BadRequest(f"{where}: an input item must be an object")
        kind = item.get("type") or ("message" if "role" in item else None)
        if kind == "message":
            self._message(item, where)
        elif kind == "function_call":
            self._call(item, where)
        elif kind == "function_call_output":
            self._output(item, where)
        elif kind == "reasoning":
            self._thinking = _reasoning_text(item)
        elif kind == "item_reference":
            raise BadRequest(f"{where}: item references need stored responses, which are not kept")
        elif kind is None:
            raise BadRequest(f"{where}: an input item needs a 'type'")
        else:
            raise BadRequest(f"{where}: unknown input item type: {kind!r}")

    def _message(self, item: dict[str, Any], where: str) -> None:
        role = _ROLES.get(str(item.get("role", "")).lower())
        if role is None:
            raise BadRequest(f"{where}: unknown role: {item.get('role')!r}")
        text, images = content_of(item.get("content"), where)
        message: dict[str, Any] = {"role": role, "content": text}
        if images:
            message["images"] = images
        if role == "assistant":
            self._take_thinking(message)
        self.messages.append(message)

    def _take_thinking(self, message: dict[str, Any]) -> None:
        if self._thinking:
            message["thinking"] = self._thinking
            self._thinking = ""

    def _call(self, item: dict[str, Any], where: str) -> None:
        name = item.get("name")
        if not isinstance(name, str) or not name:
            raise BadRequest(f"{where}: a function_call needs a 'name'")
        call_id = item.get("call_id")
        last = self.messages[-1] if self.messages else None
        if last is None or last["role"] != "assistant":
            last = {"role": "assistant", "content": ""}
            self.messages.append(last)
        calls = last.setdefault("tool_calls", [])
        call: dict[str, Any] = {
            "function": {
                "index": len(calls),
                "name": name,
                "arguments": _arguments(item.get("arguments"), where),
            }
        }
        if isinstance(call_id, str) and call_id:
            call["id"] = call_id
            self._names[call_id] = name
        calls.append(call)
        self._take_thinking(last)

    def _output(self, item: dict[str, Any], where: str) -> None:
        call_id = item.get("call_id")
        text, images = content_of(item.get("output"), where)
        message: dict[str, Any] = {"role": "tool", "content": text}
        if images:
            message["images"] = images
        if isinstance(call_id, str) and call_id:
            message["tool_call_id"] = call_id
            if call_id in self._names:
                message["tool_name"] = self._names[call_id]
        self.messages.append(message)

    def finish(self) -> list[dict[str, Any]]:
        if self._thinking:
            self.messages.append({"role": "assistant", "content": "", "thinking": self._thinking})
            self._thinking = ""
        return self.messages


def input_messages(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        return [{"role": "user", "content": value}]
    if not isinstance(value, list):
        raise BadRequest("'input' must be a string or an array of input items")
    conversation = Conversation()
    for index, item in enumerate(value):
        conversation.add(item, f"input[{index}]")
    return conversation.finish()


def native_tools(tools: list[dict[str, Any]] | None) -> list[dict[str, Any]] | None:
    return nested_tools(tools, kinds=("function",), schema_key="parameters")


def native_tool_choice(value: Any) -> Any:
    if value is None or value in ("auto", "none", "required"):
        return value
    if isinstance(value, dict) and value.get("type") == "function":
        name = value.get("name")
        if isinstance(name, str) and name:
            return {"type": "function", "function": {"name": name}}
    raise BadRequest(
        'invalid tool_choice: expected "none", "auto", "required" or '
        '{"type": "function", "name": ...}'
    )


def text_format(text: dict[str, Any] | None) -> Any:
    """`text.format`: `text` → none, `json_object` → `"json"`, `json_schema` → its schema."""
    spec = (text or {}).get("format")
    if spec is None:
        return None
    kind = spec.get("type") if isinstance(spec, dict) else None
    if kind == "text":
        return None
    if kind == "json_object":
        return "json"
    if kind == "json_schema":
        schema = spec.get("schema")
        if not isinstance(schema, dict):
            raise BadRequest("text.format of type json_schema needs a 'schema' object")
        return schema
    raise BadRequest(f"text.format: unknown type {kind!r}")


def _refuse_stateful(body: ResponsesRequest) -> None:
    for name in ("previous_response_id", "conversation"):
        if getattr(body, name) is not None:
            raise BadRequest(f"'{name}' is not supported: responses are stateless here")
    if body.background:
        raise BadRequest("'background' is not supported: responses are answered in the request")


def responses_chat_request(body: ResponsesRequest) -> ChatRequest:
    _refuse_stateful(body)
    if body.input is None:
        raise BadRequest("missing required parameter: 'input'")
    messages = [{"role": "system", "content": body.instructions}] if body.instructions else []
    messages.extend(input_messages(body.input))
    options = sampling_options(body, num_predict=body.max_output_tokens)
    stop = stop_list(body.stop, strict=False)
    if stop is not None:
        options["stop"] = stop
    logprobs = body.top_logprobs is not None or LOGPROBS_INCLUDE in (body.include or [])
    return native_chat(
        {
            "model": body.model,
            "messages": messages,
            "stream": bool(body.stream),
            "options": options,
            "format": text_format(body.text),
            "tools": native_tools(body.tools),
            "tool_choice": native_tool_choice(body.tool_choice),
            "think": think_from_effort((body.reasoning or {}).get("effort")),
            "keep_alive": body.keep_alive,
            "logprobs": logprobs,
            "top_logprobs": body.top_logprobs or 0,
        }
    )
