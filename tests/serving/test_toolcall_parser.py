"""ToolCallParser: recorded-looking outputs fed whole, by char and in random splits."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from pollama.serving.toolcall_parser import ToolCallParser
from tests.serving.chunking import SPLITTER_IDS, SPLITTERS, Splitter

TOOLS = ["get_weather", "get_time", "search", "get_weather_forecast"]
CALL_ID = re.compile(r"^call_[a-z0-9]{8}$")
PARIS = {"city": "Paris"}

# (name, tag, output, expected content, expected [(name, arguments)])
CASES: list[tuple[str, str, str, str, list[tuple[str, dict[str, Any]]]]] = [
    (
        "qwen-one-call",
        "<tool_call>",
        '<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}}\n</tool_call>',
        "",
        [("get_weather", PARIS)],
    ),
    (
        "qwen-text-then-two-calls",
        "<tool_call>",
        "Let me check both.\n<tool_call>\n"
        '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}\n'
        "</tool_call>\n<tool_call>\n"
        '{"name": "get_time", "arguments": {"timezone": "Europe/Paris"}}\n</tool_call>',
        "Let me check both.\n",
        [
            ("get_weather", {"city": "Paris", "unit": "celsius"}),
            ("get_time", {"timezone": "Europe/Paris"}),
        ],
    ),
    (
        "qwen-text-after-calls",
        "<tool_call>",
        '<tool_call>\n{"name": "get_time", "arguments": {}}\n</tool_call>\nOne moment.',
        "One moment.",
        [("get_time", {})],
    ),
    (
        "qwen-unknown-tool-is-content",
        "<tool_call>",
        '<tool_call>\n{"name": "delete_files", "arguments": {"path": "/"}}\n</tool_call>',
        '<tool_call>\n{"name": "delete_files", "arguments": {"path": "/"}}\n</tool_call>',
        [],
    ),
    (
        "qwen-no-tag-at-all",
        "<tool_call>",
        "It is sunny. 3 < 4 and <tool is not a tag. <tool_cal",
        "It is sunny. 3 < 4 and <tool is not a tag. <tool_cal",
        [],
    ),
    (
        "mistral-array",
        "[TOOL_CALLS]",
        '[TOOL_CALLS][{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}},'
        ' {"name": "get_time", "arguments": {"timezone": "CET"}}]',
        "",
        [
            ("get_weather", {"city": "Paris", "unit": "celsius"}),
            ("get_time", {"timezone": "CET"}),
        ],
    ),
    (
        "mistral-text-before",
        "[TOOL_CALLS]",
        'Sure.[TOOL_CALLS] [{"name": "search", "arguments": {"query": "pollama"}}]',
        "Sure.",
        [("search", {"query": "pollama"})],
    ),
    (
        "mistral-name-before-arguments",
        "[TOOL_CALLS]",
        '[TOOL_CALLS]get_weather_forecast[ARGS]{"city": "Paris", "days": 3}',
        "",
        [("get_weather_forecast", {"city": "Paris", "days": 3})],
    ),
    (
        "bare-json-parameters",
        "{",
        '{"name": "get_weather", "parameters": {"city": "Paris"}}',
        "",
        [("get_weather", PARIS)],
    ),
    (
        "bare-json-leading-whitespace",
        "{",
        '\n\n {"name": "get_weather_forecast", "parameters": {"city": "Paris", "days": 2}}',
        "",
        [("get_weather_forecast", {"city": "Paris", "days": 2})],
    ),
    (
        "bare-json-one-per-line",
        "{",
        '{"name": "get_weather", "parameters": {"city": "Paris"}}\n'
        '{"name": "get_time", "parameters": {"timezone": "CET"}}\n',
        "",
        [("get_weather", PARIS), ("get_time", {"timezone": "CET"})],
    ),
    (
        "bare-json-parameters-as-string",
        "{",
        '{"name": "get_weather", "parameters": "{\\"city\\": \\"Paris\\"}"}',
        "",
        [("get_weather", PARIS)],
    ),
    (
        "bare-json-openai-shape",
        "{",
        '{"type": "function", "function": {"name": "get_time", '
        '"arguments": "{\\"timezone\\": \\"UTC\\"}"}}',
        "",
        [("get_time", {"timezone": "UTC"})],
    ),
    (
        "bare-json-ordinary-answer-is-content",
        "{",
        '{"answer": 42, "unit": "none"}',
        '{"answer": 42, "unit": "none"}',
        [],
    ),
    (
        "bare-json-not-first-is-content",
        "{",
        'The call would be {"name": "get_weather", "parameters": {"city": "Paris"}}',
        'The call would be {"name": "get_weather", "parameters": {"city": "Paris"}}',
        [],
    ),
    (
        "bare-json-unfinished-is-content",
        "{",
        '  {"name": "get_weather", "parameters": {"city": "Par',
        '  {"name": "get_weather", "parameters": {"city": "Par',
        [],
    ),
    (
        "bracket-tag",
        "[",
        '[{"name": "search", "arguments": {"query": "x"}}, '
        '{"name": "get_time", "arguments": {"timezone": "UTC"}}]',
        "",
        [("search", {"query": "x"}), ("get_time", {"timezone": "UTC"})],
    ),
    (
        "llama-python-tag",
        "<|python_tag|>",
        '<|python_tag|>{"name": "get_weather", "parameters": {"city": "Paris"}}',
        "",
        [("get_weather", PARIS)],
    ),
    (
        "tool-name-as-key",
        "<tool_call>",
        '<tool_call>{"get_weather": {"city": "Paris"}}</tool_call>',
        "",
        [("get_weather", PARIS)],
    ),
    (
        "object-minus-name-key",
        "<tool_call>",
        '<tool_call>{"name": "get_weather", "city": "Paris", "unit": "celsius"}</tool_call>',
        "",
        [("get_weather", {"city": "Paris", "unit": "celsius"})],
    ),
    (
        "braces-and-quotes-inside-strings",
        "<tool_call>",
        '<tool_call>\n{"name": "search", "arguments": {"query": "a } tricky \\" { string"}}'
        "\n</tool_call>",
        "",
        [("search", {"query": 'a } tricky " { string'})],
    ),
    (
        "longest-name-wins-and-keys-keep-order",
        "<tool_call>",
        '<tool_call>{"name": "get_weather_forecast", "arguments": {"z": 1, "a": 2, "m": 3}}',
        "",
        [("get_weather_forecast", {"z": 1, "a": 2, "m": 3})],
    ),
    (
        "tool-name-inside-arguments-of-unknown-tool",
        "<tool_call>",
        '<tool_call>{"name": "run_shell", "arguments": {"cmd": "get_weather"}}</tool_call>',
        '<tool_call>{"name": "run_shell", "arguments": {"cmd": "get_weather"}}</tool_call>',
        [],
    ),
]


def run(parser: ToolCallParser, chunks: Iterator[str]) -> tuple[str, list[dict[str, Any]]]:
    content = ""
    calls: list[dict[str, Any]] = []
    for chunk in chunks:
        more_content, more_calls = parser.feed(chunk)
        content += more_content
        calls += more_calls
    more_content, more_calls = parser.finish()
    return content + more_content, calls + more_calls


def named(calls: list[dict[str, Any]]) -> list[tuple[str, dict[str, Any]]]:
    """(name, arguments) per call, after checking ids and index order."""
    for index, call in enumerate(calls):
        assert CALL_ID.match(call["id"])
        assert call["function"]["index"] == index
    return [(call["function"]["name"], call["function"]["arguments"]) for call in calls]


@pytest.mark.parametrize("splitter", SPLITTERS, ids=SPLITTER_IDS)
@pytest.mark.parametrize(
    ("tag", "output", "content", "calls"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_split_is_the_same_for_any_chunking(
    splitter: Splitter,
    tag: str,
    output: str,
    content: str,
    calls: list[tuple[str, dict[str, Any]]],
) -> None:
    got_content, got_calls = run(ToolCallParser(tag, TOOLS), splitter(output))
    assert got_content == content
    assert named(got_calls) == calls
    # Argument key order is kept, not just equal dicts.
    assert [list(args) for _, args in named(got_calls)] == [list(args) for _, args in calls]


def test_ids_are_random_and_well_formed() -> None:
    one = '{"name": "get_time", "arguments": {}}'
    output = f"[TOOL_CALLS][{one}, {one}]"
    _, calls = run(ToolCallParser("[TOOL_CALLS]", TOOLS), iter([output]))
    ids = [call["id"] for call in calls]
    assert all(CALL_ID.match(call_id) for call_id in ids)
    assert len(set(ids)) == 2


def test_content_before_the_tag_is_released_at_once() -> None:
    parser = ToolCallParser("<tool_call>", TOOLS)
    assert parser.feed("Checking the weather") == ("Checking the weather", [])
    assert parser.feed(" now <tool") == (" now ", [])  # "<tool" may start the tag: held
    assert parser.feed("box>") == ("<toolbox>", [])
    assert parser.feed("<tool_call>\n{") == ("", [])


def test_a_call_is_emitted_as_soon_as_its_object_closes() -> None:
    parser = ToolCallParser("<tool_call>", TOOLS)
    assert parser.feed('<tool_call>\n{"name": "get_weather", "arguments": {"city": "Paris"}') == (
        "",
        [],
    )
    content, calls = parser.feed("}\n</tool_call>")
    assert content == ""
    assert named(calls) == [("get_weather", PARIS)]
    assert parser.finish() == ("", [])


def test_plain_output_is_released_at_once_for_a_bracket_tag() -> None:
    parser = ToolCallParser("{", TOOLS)
    assert parser.feed("\n") == ("", [])  # could still be whitespace before `{`
    assert parser.feed("Hello") == ("\nHello", [])
    assert parser.feed(" {x}") == (" {x}", [])
    assert parser.finish() == ("", [])


def test_json_that_is_not_a_call_is_released_when_it_closes() -> None:
    parser = ToolCallParser("{", TOOLS)
    assert parser.feed('{"answer": {"value"') == ("", [])
    assert parser.feed(": 42}}") == ('{"answer": {"value": 42}}', [])
    assert parser.feed(" trailing") == (" trailing", [])


def test_indices_continue_across_tags() -> None:
    parser = ToolCallParser("<tool_call>", TOOLS)
    _, first = parser.feed('<tool_call>{"name": "get_time", "arguments": {}}</tool_call>')
    _, second = parser.feed('<tool_call>{"name": "search", "arguments": {"query": "q"}}')
    assert [call["function"]["index"] for call in first + second] == [0, 1]


def test_without_tools_everything_is_content() -> None:
    parser = ToolCallParser("<tool_call>", [])
    output = '<tool_call>{"name": "get_time", "arguments": {}}</tool_call>'
    assert parser.feed(output) == (output, [])
    assert parser.finish() == ("", [])
