"""The data model: API dicts (or client models) into the Go values templates see."""

from __future__ import annotations

import ollama

from pollama.templates import render
from pollama.templates.gojson import marshal
from pollama.templates.values import (
    message_from_api,
    property_from_api,
    tool_from_api,
    tools_from_api,
)
from tests.templates import samples


def test_message_conversion() -> None:
    message = message_from_api(
        {
            "role": "Assistant",
            "content": "x",
            "images": ["aGk="],
            "tool_calls": [{"id": "c1", "function": {"name": "f", "arguments": '{"n": 3}'}}],
        }
    )
    assert message.Role == "assistant"
    assert message.Images == [b"hi"]
    call = message.ToolCalls[0]
    assert (call.ID, call.Function.Index, call.Function.Name) == ("c1", 0, "f")
    assert call.Function.Arguments == {"n": 3.0}  # JSON numbers are Go float64s
    assert isinstance(call.Function.Arguments["n"], float)


def test_message_json_is_the_api_shape() -> None:
    message = message_from_api(
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "f", "arguments": {}}}],
        }
    )
    assert marshal(message) == (
        '{"role":"assistant","content":"","tool_calls":[{"function":{"index":0,"name":"f","arguments":{}}}]}'
    )


def test_property_drops_unknown_schema_keys_and_keeps_nested() -> None:
    prop = property_from_api(
        {
            "type": "object",
            "description": "d",
            "default": {},
            "minimum": 1,
            "properties": {"b": {"type": "string"}, "a": {"type": "integer"}},
            "required": ["a"],
        }
    )
    assert marshal(prop) == (
        '{"type":"object","description":"d","properties":{"a":{"type":"integer"},'
        '"b":{"type":"string"}},"required":["a"]}'
    )


def test_tool_json_field_order_and_omissions() -> None:
    tool = tool_from_api(
        {
            "type": "function",
            "items": {"x": 1},
            "function": {
                "name": "f",
                "parameters": {"type": "object", "$defs": {"d": {}}, "properties": {}},
            },
        }
    )
    assert marshal(tool) == (
        '{"type":"function","items":{"x":1},"function":{"name":"f","description":"",'
        '"parameters":{"type":"object","$defs":{"d":{}},"properties":{}}}}'
    )


def test_nil_and_empty_tool_lists() -> None:
    assert marshal(tools_from_api(None)) == "null"
    assert marshal(tools_from_api([])) == "[]"


def test_ollama_client_models_are_accepted() -> None:
    messages = [
        ollama.Message(role="user", content="hi"),
        ollama.Message(
            role="assistant",
            content="",
            tool_calls=[
                ollama.Message.ToolCall(
                    function=ollama.Message.ToolCall.Function(
                        name="get_weather", arguments={"city": "X"}
                    )
                )
            ],
        ),
    ]
    tool = ollama.Tool(
        type="function",
        function=ollama.Tool.Function(
            name="f",
            description="d",
            parameters=ollama.Tool.Function.Parameters(
                type="object",
                required=["a"],
                properties={
                    "a": ollama.Tool.Function.Parameters.Property(type="string", description="A")
                },
            ),
        ),
    )
    rendered = render(samples.LLAMA3_TOOLS, messages, tools=[tool])
    assert (
        'Tools: [{"type":"function","function":{"name":"f","description":"d","parameters":'
        '{"type":"object","required":["a"],"properties":{"a":{"type":"string","description":"A"}}}}}]'
    ) in rendered
    assert rendered.endswith('{"name": "get_weather", "parameters": {"city":"X"}}')
