"""Anthropic Messages requests → native ChatRequest."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pollama.api.anthropic.requests import MessagesRequest, PromptFields
from pollama.api.anthropic.translate import count_request, messages_chat_request
from pollama.errors import BadRequest

PNG = base64.b64encode(b"\x89PNG fake image").decode()
IMAGE = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": PNG}}
HI = [{"role": "user", "content": "hi"}]


def translate(**fields: Any) -> dict[str, Any]:
    body = {"model": "m", "max_tokens": 8, "messages": HI, **fields}
    return messages_chat_request(MessagesRequest.model_validate(body)).model_dump(exclude_none=True)


def refused(**fields: Any) -> str:
    with pytest.raises(BadRequest) as caught:
        translate(**fields)
    return caught.value.message


def test_sampling_and_system() -> None:
    native = translate()
    assert native["options"] == {"num_predict": 8} and native["stream"] is False
    assert native["messages"] == [{"role": "user", "content": "hi"}]
    native = translate(
        system="Be brief.",
        temperature=0.5,
        top_p=0.9,
        top_k=20,
        stop_sequences=["END"],
        stream=True,
        num_ctx=512,
        keep_alive="1m",
    )
    assert native["messages"][0] == {"role": "system", "content": "Be brief."}
    assert native["options"] == {
        "num_predict": 8,
        "temperature": 0.5,
        "top_p": 0.9,
        "top_k": 20,
        "stop": ["END"],
        "num_ctx": 512,
    }
    assert native["stream"] is True and native["keep_alive"] == "1m"
    blocks = [{"type": "text", "text": "One."}, {"type": "text", "text": "Two."}]
    assert translate(system=blocks)["messages"][0]["content"] == "One.\nTwo."


def test_blocks_tool_use_and_results() -> None:
    native = translate(
        messages=[
            {"role": "user", "content": [{"type": "text", "text": "Look: "}, IMAGE]},
            {"role": "assistant", "content": [
                {"type": "thinking", "thinking": "Hm.", "signature": "sig"},
                {"type": "redacted_thinking", "data": "opaque"},
                {"type": "text", "text": "Checking."},
                {"type": "tool_use", "id": "toolu_1", "name": "get_weather",
                 "input": {"city": "Paris"}},
            ]},
            {"role": "user", "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1",
                 "content": [{"type": "text", "text": "sunny"}, IMAGE]},
                {"type": "text", "text": "Thanks."},
            ]},
        ]
    )  # fmt: skip
    user, assistant, result, thanks = native["messages"]
    assert user == {"role": "user", "content": "Look: ", "images": [PNG]}
    assert assistant["content"] == "Checking." and assistant["thinking"] == "Hm."
    assert assistant["tool_calls"] == [
        {
            "id": "toolu_1",
            "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}},
        }
    ]
    assert result == {
        "role": "tool",
        "content": "sunny",
        "images": [PNG],
        "tool_name": "get_weather",
        "tool_call_id": "toolu_1",
    }
    assert thanks == {"role": "user", "content": "Thanks."}


def test_tools_choice_thinking_and_format() -> None:
    tool = {"name": "f", "description": "d", "input_schema": {"type": "object"}}
    native = translate(tools=[tool], tool_choice={"type": "tool", "name": "f"})
    assert native["tools"][0]["function"]["name"] == "f"
    assert native["tools"][0]["function"]["parameters"]["type"] == "object"
    assert native["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    assert translate(tools=[tool], tool_choice={"type": "any"})["tool_choice"] == "required"
    assert translate(tools=[tool], tool_choice={"type": "none"})["tool_choice"] == "none"
    assert translate(thinking={"type": "enabled", "budget_tokens": 1024})["think"] is True
    assert translate(thinking={"type": "adaptive"})["think"] is True
    assert translate(thinking={"type": "disabled"})["think"] is False
    enabled = {"type": "enabled", "budget_tokens": 1024}
    assert translate(thinking=enabled, output_config={"effort": "low"})["think"] == "low"
    assert translate(output_config={"effort": "high"})["think"] == "high"
    schema = {"type": "object"}
    spec = {"type": "json_schema", "schema": schema}
    assert translate(output_format=spec)["format"] == schema
    assert translate(output_config={"format": spec})["format"] == schema


def test_count_request_needs_no_max_tokens() -> None:
    body = PromptFields.model_validate({"model": "m", "messages": HI, "system": "S"})
    native = count_request(body).model_dump(exclude_none=True)
    assert [m["role"] for m in native["messages"]] == ["system", "user"]


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"max_tokens": None}, "max_tokens: Field required"),
        ({"max_tokens": 0}, "max_tokens: must be at least 1"),
        ({"messages": []}, "messages: at least one message is required"),
        ({"messages": [{"role": "system", "content": "x"}]}, "role must be 'user' or 'assistant'"),
        ({"messages": [{"role": "user", "content": 3}]}, "content must be a string or an array"),
        ({"messages": [{"role": "user", "content": ["x"]}]}, "must be an object with a 'type'"),
        (
            {"messages": [{"role": "user", "content": [{"type": "document"}]}]},
            "content type 'document' is not supported",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image", "source": {
                "type": "url", "url": "https://x"}}]}]},
            "image source 'url' is not supported",
        ),
        (
            {"messages": [{"role": "assistant", "content": [{"type": "tool_use", "name": "f"}]}]},
            "a tool_use block needs an 'id'",
        ),
        ({"system": [{"type": "image"}]}, "system[0]: only text blocks are supported"),
        ({"tools": [{"type": "bash_20250124", "name": "b"}]}, "bash_20250124"),
        ({"tools": [{"input_schema": {}}]}, "tools[0]: a tool needs a 'name'"),
        ({"tool_choice": {"type": "tool"}}, "tool_choice: expected"),
        ({"thinking": {"type": "sometimes"}}, "thinking.type"),
        ({"output_format": {"type": "json_object"}}, "output_format: expected"),
    ],
)  # fmt: skip
def test_bad_requests_name_what_is_wrong(fields: dict[str, Any], words: str) -> None:
    assert words in refused(**fields)
