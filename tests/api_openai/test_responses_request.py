"""Responses API requests → native ChatRequest: input items, tools, formats, reasoning."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from pollama.api.openai.requests import ResponsesRequest
from pollama.api.openai.responses_request import responses_chat_request
from pollama.errors import BadRequest

PNG = base64.b64encode(b"\x89PNG fake image").decode()


def translate(**fields: Any) -> dict[str, Any]:
    body = {"model": "m", "input": "hi", **fields}
    native = responses_chat_request(ResponsesRequest.model_validate(body))
    return native.model_dump(exclude_none=True)


def refused(**fields: Any) -> str:
    with pytest.raises(BadRequest) as caught:
        translate(**fields)
    return caught.value.message


def test_string_input_instructions_and_sampling() -> None:
    native = translate()
    assert native["messages"] == [{"role": "user", "content": "hi"}]
    assert native["options"] == {"temperature": 1.0, "top_p": 1.0}
    assert native["stream"] is False and "format" not in native and "think" not in native
    native = translate(
        instructions="Be brief.",
        temperature=0,
        top_p=0.5,
        max_output_tokens=9,
        stream=True,
        num_ctx=512,
        keep_alive="1m",
    )
    assert native["messages"][0] == {"role": "system", "content": "Be brief."}
    assert native["options"] == {"temperature": 0, "top_p": 0.5, "num_predict": 9, "num_ctx": 512}
    assert native["stream"] is True and native["keep_alive"] == "1m"


def test_message_items_and_content_parts() -> None:
    native = translate(
        input=[
            {"role": "developer", "content": "Rules."},
            {"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "Look "},
                {"type": "input_image", "image_url": f"data:image/png;base64,{PNG}"},
                {"type": "input_text", "text": "here."},
            ]},
            {"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": "A cat.", "annotations": []},
            ]},
        ]
    )  # fmt: skip
    assert native["messages"] == [
        {"role": "system", "content": "Rules."},
        {"role": "user", "content": "Look here.", "images": [PNG]},
        {"role": "assistant", "content": "A cat."},
    ]


def test_function_calls_outputs_and_reasoning_become_one_assistant_turn() -> None:
    native = translate(
        input=[
            {"role": "user", "content": "Weather?"},
            {"type": "reasoning", "summary": [{"type": "summary_text", "text": "Hm."}]},
            {"type": "function_call", "call_id": "call_a", "name": "get_weather",
             "arguments": '{"city": "Paris"}'},
            {"type": "function_call", "call_id": "call_b", "name": "get_time", "arguments": ""},
            {"type": "function_call_output", "call_id": "call_a", "output": "sunny"},
            {"type": "function_call_output", "call_id": "call_b",
             "output": [{"type": "input_text", "text": "noon"}]},
        ]
    )  # fmt: skip
    user, assistant, weather, time = native["messages"]
    assert user == {"role": "user", "content": "Weather?"}
    assert assistant["role"] == "assistant" and assistant["thinking"] == "Hm."
    assert [c["id"] for c in assistant["tool_calls"]] == ["call_a", "call_b"]
    assert assistant["tool_calls"][0]["function"] == {
        "index": 0,
        "name": "get_weather",
        "arguments": {"city": "Paris"},
    }
    assert assistant["tool_calls"][1]["function"]["arguments"] == {}
    assert weather == {
        "role": "tool",
        "content": "sunny",
        "tool_name": "get_weather",
        "tool_call_id": "call_a",
    }
    assert time["content"] == "noon" and time["tool_name"] == "get_time"


def test_reasoning_passed_back_by_encrypted_content_or_trailing() -> None:
    native = translate(
        input=[
            {"role": "user", "content": "Q"},
            {"type": "reasoning", "summary": [], "encrypted_content": "plain thoughts"},
        ]
    )
    assert native["messages"][-1] == {
        "role": "assistant",
        "content": "",
        "thinking": "plain thoughts",
    }


def test_tools_and_tool_choice() -> None:
    tool = {"type": "function", "name": "f", "description": "d", "parameters": {"type": "object"}}
    native = translate(tools=[tool], tool_choice={"type": "function", "name": "f"})
    assert native["tools"][0]["type"] == "function"
    assert native["tools"][0]["function"]["name"] == "f"
    assert native["tools"][0]["function"]["description"] == "d"
    assert native["tool_choice"] == {"type": "function", "function": {"name": "f"}}
    assert translate(tools=[tool], tool_choice="required")["tool_choice"] == "required"
    assert "web_search" in refused(tools=[{"type": "web_search"}])
    assert "needs a 'name'" in refused(tools=[{"type": "function"}])
    assert "invalid tool_choice" in refused(tools=[tool], tool_choice={"type": "mcp"})


def test_text_format_reasoning_and_logprobs() -> None:
    schema = {"type": "object", "properties": {"a": {"type": "string"}}}
    assert translate(text={"format": {"type": "text"}}).get("format") is None
    assert translate(text={"format": {"type": "json_object"}})["format"] == "json"
    native = translate(text={"format": {"type": "json_schema", "name": "x", "schema": schema}})
    assert native["format"] == schema
    assert "needs a 'schema'" in refused(text={"format": {"type": "json_schema"}})
    assert "unknown type" in refused(text={"format": {"type": "yaml"}})
    assert translate(reasoning={"effort": "high"})["think"] == "high"
    assert translate(reasoning={"effort": "none"})["think"] is False
    assert "invalid reasoning value" in refused(reasoning={"effort": "lots"})
    native = translate(include=["message.output_text.logprobs"])
    assert native["logprobs"] is True and native["top_logprobs"] == 0
    native = translate(top_logprobs=3)
    assert native["logprobs"] is True and native["top_logprobs"] == 3


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"previous_response_id": "resp_1"}, "'previous_response_id' is not supported"),
        ({"conversation": "conv_1"}, "'conversation' is not supported"),
        ({"background": True}, "'background' is not supported"),
        ({"input": None}, "missing required parameter: 'input'"),
        ({"input": 3}, "'input' must be a string or an array"),
        ({"input": ["hi"]}, "input[0]: an input item must be an object"),
        ({"input": [{"content": "x"}]}, "input[0]: an input item needs a 'type'"),
        ({"input": [{"type": "web_search_call"}]}, "unknown input item type: 'web_search_call'"),
        ({"input": [{"type": "item_reference", "id": "x"}]}, "stored responses"),
        ({"input": [{"role": "wizard", "content": "x"}]}, "unknown role: 'wizard'"),
        (
            {"input": [{"role": "user", "content": [{"type": "input_file", "file_id": "f"}]}]},
            "file inputs are not supported",
        ),
        (
            {"input": [{"role": "user", "content": [{"type": "input_image", "file_id": "f"}]}]},
            "by file_id are not supported",
        ),
        (
            {"input": [{"type": "function_call", "name": "f", "arguments": "{"}]},
            "input[0]: 'arguments' is not valid JSON",
        ),
        ({"input": [{"type": "function_call", "arguments": "{}"}]}, "needs a 'name'"),
    ],
)
def test_bad_requests_name_what_is_wrong(fields: dict[str, Any], words: str) -> None:
    assert words in refused(**fields)
