"""`format` decoding and the schema → grammar step (no engine needed)."""

from __future__ import annotations

import pytest

from pollama.errors import BadRequest
from pollama.serving.formats import decode_format, unsupported_keywords, without_unsupported
from pollama.serving.tool_choice import call_grammar, forced_tool

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather in a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "enum": ["Paris", "Rome"]},
                "days": {"type": "integer", "minimum": 1},
            },
            "required": ["city"],
        },
    },
}
TIME_TOOL = {
    "type": "function",
    "function": {"name": "get_time", "parameters": {"type": "object", "properties": {}}},
}


@pytest.mark.parametrize("raw", [None, ""])
def test_no_format(raw: object) -> None:
    assert decode_format(raw) is None


def test_json_is_any_object() -> None:
    decoded = decode_format("json")
    assert decoded is not None
    assert decoded.schema == {"type": "object"}
    assert decoded.grammar.startswith("object ::=") or "root ::=" in decoded.grammar


def test_schema_becomes_a_grammar_with_a_root_rule() -> None:
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 10},
            "age": {"type": "integer"},
            "tags": {"type": "array", "items": {"enum": ["a", "b"]}, "maxItems": 3},
        },
        "required": ["name", "age"],
    }
    decoded = decode_format(schema)
    assert decoded is not None
    assert any(line.startswith("root ::=") for line in decoded.grammar.splitlines())
    assert '"\\"name\\""' in decoded.grammar


@pytest.mark.parametrize("raw", ["xml", 5, ["json"], True])
def test_other_values_are_refused_in_ollamas_words(raw: object) -> None:
    with pytest.raises(BadRequest, match='expected "json" or a valid JSON Schema object'):
        decode_format(raw)


def test_unsupported_keywords_are_named_with_their_place() -> None:
    schema = {
        "type": "object",
        "properties": {
            "age": {"type": "integer", "minimum": 0, "maximum": 150},
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
        },
        "$defs": {"x": {"not": {"type": "null"}}},
    }
    found = unsupported_keywords(schema)
    assert found == [
        "minimum at #/properties/age",
        "maximum at #/properties/age",
        "uniqueItems at #/properties/tags",
        "not at #/$defs/x",
    ]
    with pytest.raises(BadRequest, match="minimum at #/properties/age"):
        decode_format(schema)


def test_annotations_and_unknown_keywords_are_accepted() -> None:
    schema = {
        "title": "Person",
        "description": "a person",
        "type": "object",
        "properties": {"name": {"type": "string", "default": "x", "examples": ["y"]}},
        "x-custom": 1,
    }
    assert decode_format(schema) is not None


def test_a_schema_the_converter_cannot_read_is_a_400() -> None:
    with pytest.raises(BadRequest, match="invalid JSON schema"):
        decode_format({"$ref": "http://example.com/remote.json"})


def test_without_unsupported_drops_only_what_cannot_be_enforced() -> None:
    params = WEATHER_TOOL["function"]["parameters"]  # type: ignore[index]
    cleaned = without_unsupported(params)
    assert cleaned["properties"]["days"] == {"type": "integer"}
    assert cleaned["properties"]["city"]["enum"] == ["Paris", "Rome"]


def test_tool_choice_decoding() -> None:
    tools = [WEATHER_TOOL, TIME_TOOL]
    assert forced_tool(None, tools) is None
    assert forced_tool("auto", tools) is None
    assert forced_tool("none", tools) is None
    assert forced_tool("required", tools) == ["get_weather", "get_time"]
    named = {"type": "function", "function": {"name": "get_time"}}
    assert forced_tool(named, tools) == ["get_time"]
    with pytest.raises(BadRequest, match="not among the tools"):
        forced_tool({"type": "function", "function": {"name": "nope"}}, tools)
    with pytest.raises(BadRequest, match="invalid tool_choice"):
        forced_tool("sometimes", tools)
    with pytest.raises(BadRequest, match="at least one tool"):
        forced_tool("required", [])


@pytest.mark.parametrize(
    ("tag", "head"),
    [
        ("<tool_call>", 'root ::= "<tool_call>" ("\\n" | " ")? call'),
        ("{", "root ::= call"),
        ("[", 'root ::= "[" call "]"'),
    ],
)
def test_call_grammar_starts_with_the_tag(tag: str, head: str) -> None:
    grammar = call_grammar([WEATHER_TOOL, TIME_TOOL], ["get_weather"], tag)
    lines = grammar.splitlines()
    assert lines[0] == head
    assert sum(line.startswith("root ::=") for line in lines) == 1
    assert any(line.startswith("call ::=") for line in lines)
    assert "get_weather" in grammar and "get_time" not in grammar
