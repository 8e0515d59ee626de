"""Native chat answers → Anthropic messages and stream events; the error body."""

from __future__ import annotations

from typing import Any

from pollama.api.anthropic.dialect import is_anthropic_path
from pollama.api.anthropic.errors import envelope, error_body
from pollama.api.anthropic.output import message
from pollama.api.anthropic.stream import MessageStream
from tests.fixtures.native import native_chunk

CALL = {"id": "call_1", "function": {"index": 0, "name": "f", "arguments": {"x": 1}}}
FINAL = {
    "done": True,
    "done_reason": "stop",
    "prompt_eval_count": 10,
    "prompt_cache_count": 4,
    "eval_count": 3,
}


def chunk(**fields: Any) -> dict[str, Any]:
    return {"done": False, "message": {"role": "assistant", "content": "", **fields}}


def events_of(*chunks: dict[str, Any]) -> list[dict[str, Any]]:
    stream = MessageStream(model="m")
    return [event for native in chunks for event in stream.translate(native_chunk(native))]


def test_thinking_then_text() -> None:
    events = events_of(chunk(thinking="Hm"), chunk(content="Hi"), chunk(content="!"), FINAL)
    assert [e["type"] for e in events] == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = events[0]["message"]
    assert start["id"].startswith("msg_") and start["content"] == [] and start["model"] == "m"
    assert events[1] == {
        "type": "content_block_start",
        "index": 0,
        "content_block": {"type": "thinking", "thinking": "", "signature": ""},
    }
    assert events[2]["delta"] == {"type": "thinking_delta", "thinking": "Hm"}
    assert events[4]["index"] == 1 and events[4]["content_block"] == {"type": "text", "text": ""}
    assert events[6]["delta"] == {"type": "text_delta", "text": "!"}
    assert events[8]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}
    assert events[8]["usage"] == {
        "input_tokens": 6,
        "cache_read_input_tokens": 4,
        "cache_creation_input_tokens": 0,
        "output_tokens": 3,
    }


def test_whitespace_before_a_tool_use_is_dropped() -> None:
    events = events_of(chunk(content="\n"), chunk(tool_calls=[CALL]), FINAL)
    assert [e["type"] for e in events][1:4] == [
        "content_block_start",
        "content_block_delta",
        "content_block_stop",
    ]
    assert events[1]["content_block"] == {
        "type": "tool_use",
        "id": "call_1",
        "name": "f",
        "input": {},
    }
    assert events[2]["delta"] == {"type": "input_json_delta", "partial_json": '{"x":1}'}
    assert events[4]["delta"]["stop_reason"] == "tool_use"


def test_whitespace_only_answer_and_max_tokens() -> None:
    events = events_of(chunk(content=" "), {**FINAL, "done_reason": "length"})
    assert events[1]["content_block"]["type"] == "text"
    assert events[2]["delta"]["text"] == " "
    assert events[-2]["delta"]["stop_reason"] == "max_tokens"


def test_failure_is_an_error_event() -> None:
    stream = MessageStream(model="m")
    assert stream.failure(503, "busy") == [
        {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}}
    ]


def test_the_whole_message() -> None:
    answer = message(
        native_chunk(
            {**FINAL, "message": {"content": "\n", "thinking": "Hm", "tool_calls": [CALL]}}
        ),
        id="msg_1",
        model="m",
    )
    assert answer["content"] == [
        {"type": "thinking", "thinking": "Hm", "signature": ""},
        {"type": "tool_use", "id": "call_1", "name": "f", "input": {"x": 1}},
    ]
    assert answer["stop_reason"] == "tool_use" and answer["stop_sequence"] is None
    assert answer["usage"]["input_tokens"] == 6 and answer["usage"]["output_tokens"] == 3
    empty = message(native_chunk({**FINAL, "message": {"content": ""}}), id="msg_2", model="m")
    assert empty["content"] == [] and empty["stop_reason"] == "end_turn"


def test_error_bodies_and_paths() -> None:
    assert error_body(400, "bad") == {
        "type": "error",
        "error": {"type": "invalid_request_error", "message": "bad"},
    }
    assert envelope(500, "x")["error"]["type"] == "api_error"
    assert envelope(500, "x")["request_id"].startswith("req_")
    assert is_anthropic_path("/v1/messages") and is_anthropic_path("/v1/messages/count_tokens")
    assert not is_anthropic_path("/v1/messagesx") and not is_anthropic_path("/v1/models")
