"""OpenAI chat requests → native ChatRequest, field by field."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pollama.api.openai.chat_request import chat_request, image_data
from pollama.api.openai.requests import ChatCompletionRequest
from pollama.errors import BadRequest

PNG = base64.b64encode(b"\x89PNG fake image").decode()


def translate(**fields: Any) -> dict[str, Any]:
    body = {"model": "m", "messages": [{"role": "user", "content": "hi"}], **fields}
    native = chat_request(ChatCompletionRequest.model_validate(body))
    return native.model_dump(exclude_none=True)


def test_defaults_and_sampling_options() -> None:
    native = translate()
    assert native["stream"] is False
    assert native["options"] == {"temperature": 1.0, "top_p": 1.0}
    assert native["messages"] == [{"role": "user", "content": "hi"}]
    native = translate(
        temperature=0,
        top_p=0.5,
        max_tokens=7,
        seed=3,
        frequency_penalty=0.1,
        presence_penalty=0.2,
        stop="END",
        num_ctx=512,
        keep_alive="5m",
        stream=True,
    )
    assert native["options"] == {
        "temperature": 0,
        "top_p": 0.5,
        "num_predict": 7,
        "seed": 3,
        "frequency_penalty": 0.1,
        "presence_penalty": 0.2,
        "stop": ["END"],
        "num_ctx": 512,
    }
    assert native["keep_alive"] == "5m" and native["stream"] is True


def test_max_completion_tokens_and_stop_list() -> None:
    assert translate(max_completion_tokens=9)["options"]["num_predict"] == 9
    assert translate(max_tokens=4, max_completion_tokens=9)["options"]["num_predict"] == 9
    assert translate(stop=["a", 1, "b"])["options"]["stop"] == ["a", "b"]


def test_empty_messages_refused() -> None:
    with pytest.raises(BadRequest, match=r"\[\] is too short - 'messages'"):
        translate(messages=[])
    with pytest.raises(BadRequest, match="too short"):
        chat_request(ChatCompletionRequest.model_validate({"model": "m"}))


def test_content_parts_become_messages() -> None:
    parts = [
        {"type": "text", "text": "look"},
        {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}},
        {"type": "image_url", "image_url": f"data:;base64,{PNG}"},
    ]
    native = translate(messages=[{"role": "User", "content": parts}])
    assert native["messages"] == [
        {"role": "user", "content": "look"},
        {"role": "user", "content": "", "images": [PNG]},
        {"role": "user", "content": "", "images": [PNG]},
    ]


def test_image_urls() -> None:
    assert image_data(f"data:image/jpeg;base64,{PNG}") == PNG
    with pytest.raises(BadRequest, match="image URLs are not currently supported"):
        image_data("https://example.com/cat.png")
    with pytest.raises(BadRequest, match="invalid image input"):
        image_data(f"data:image/gif;base64,{PNG}")
    with pytest.raises(BadRequest, match="invalid image input"):
        image_data("data:image/png;base64,not base64!")


def test_tool_round_trip_messages() -> None:
    messages = [
        {"role": "user", "content": "weather?"},
        {
            "role": "assistant",
            "content": None,
            "reasoning": "need the tool",
            "tool_calls": [
                {
                    "id": "call_abc",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "call_abc", "content": "sunny"},
        {"role": "tool", "name": "other", "content": "x"},
    ]
    native = translate(messages=messages)["messages"]
    assert native[1] == {
        "role": "assistant",
        "content": "",
        "thinking": "need the tool",
        "tool_calls": [
            {
                "id": "call_abc",
                "function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}},
            }
        ],
    }
    assert native[2] == {
        "role": "tool",
        "content": "sunny",
        "tool_name": "get_weather",
        "tool_call_id": "call_abc",
    }
    assert native[3]["tool_name"] == "other"


def test_bad_messages() -> None:
    call = {"id": "c", "function": {"name": "f", "arguments": "{not json"}}
    with pytest.raises(BadRequest, match="invalid tool call arguments"):
        translate(messages=[{"role": "assistant", "content": "", "tool_calls": [call]}])
    with pytest.raises(BadRequest, match="invalid message content type"):
        translate(messages=[{"role": "user", "content": None}])
    with pytest.raises(BadRequest, match="invalid message format"):
        translate(messages=[{"role": "user", "content": [{"type": "video"}]}])


def test_response_format() -> None:
    assert "format" not in translate(response_format={"type": "text"})
    assert translate(response_format={"type": "json_object"})["format"] == "json"
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    spec = {"type": "json_schema", "json_schema": {"name": "x", "schema": schema}}
    assert translate(response_format=spec)["format"] == schema


def test_tools_tool_choice_logprobs_passed_through() -> None:
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]
    choice = {"type": "function", "function": {"name": "f"}}
    native = translate(tools=tools, tool_choice=choice, logprobs=True, top_logprobs=2)
    assert native["tools"] == tools and native["tool_choice"] == choice
    assert native["logprobs"] is True and native["top_logprobs"] == 2


@pytest.mark.parametrize(
    ("effort", "think"),
    [("none", False), ("minimal", "low"), ("high", "high"), ("xhigh", "max"), ("ultra", "max")],
)
def test_reasoning_effort(effort: str, think: Any) -> None:
    assert translate(reasoning_effort=effort)["think"] == think
    assert translate(reasoning={"effort": effort})["think"] == think


def test_reasoning_effort_invalid_and_absent() -> None:
    assert "think" not in translate()
    with pytest.raises(BadRequest, match="invalid reasoning value"):
        translate(reasoning_effort="extreme")
