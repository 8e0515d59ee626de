"""`/v1/messages` in process: content blocks, the streamed event order, tool use, thinking and
errors in Anthropic's shape."""

from __future__ import annotations

from tests.inprocess.conftest import InProcessServer
from tests.inprocess.templates import RICH_TEMPLATE, WEATHER_CALL

HELLO = [{"role": "user", "content": "hello"}]
WEATHER = {
    "name": "get_weather",
    "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
}


def test_text_block_and_system(inprocess: InProcessServer) -> None:
    inprocess.reply("a", "b")
    answer = inprocess.post("/v1/messages", model="tiny", max_tokens=10, messages=HELLO, system="S")
    body = answer.json()
    assert (body["type"], body["role"], body["model"]) == ("message", "assistant", "tiny")
    assert body["content"] == [{"type": "text", "text": "ab"}]
    assert (body["stop_reason"], body["stop_sequence"]) == ("end_turn", None)
    assert body["usage"]["input_tokens"] == 2 and body["usage"]["output_tokens"] == 2
    assert inprocess.runner.requests[-1].prompt == "<system>S</system><user>hello</user><assistant>"
    assert inprocess.runner.requests[-1].options["num_predict"] == 10


def test_streamed_event_order(inprocess: InProcessServer) -> None:
    inprocess.reply("a", "b")
    body = {"model": "tiny", "max_tokens": 10, "messages": HELLO, "stream": True}
    with inprocess.client.stream("POST", "/v1/messages", json=body) as answer:
        names = [
            line[len("event: ") :] for line in answer.iter_lines() if line.startswith("event:")
        ]
    assert names == [
        "message_start",
        "content_block_start",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    events = inprocess.events("/v1/messages", **body)
    assert [e["type"] for e in events] == names
    assert [e["delta"]["text"] for e in events if e["type"] == "content_block_delta"] == ["a", "b"]
    assert events[5]["delta"] == {"stop_reason": "end_turn", "stop_sequence": None}


def test_tool_use_and_thinking_blocks(inprocess: InProcessServer) -> None:
    inprocess.create("rich", template=RICH_TEMPLATE)
    inprocess.reply("Sure ", WEATHER_CALL)
    used = inprocess.post(
        "/v1/messages", model="rich", max_tokens=10, messages=HELLO, tools=[WEATHER]
    ).json()
    text, call = used["content"]
    assert text == {"type": "text", "text": "Sure "}
    assert (call["type"], call["name"], call["input"]) == (
        "tool_use",
        "get_weather",
        {"city": "Paris"},
    )
    assert used["stop_reason"] == "tool_use"
    inprocess.reply("<think>", "hmm", "</think>", "Answer")
    thought = inprocess.post(
        "/v1/messages",
        model="rich",
        max_tokens=10,
        messages=HELLO,
        thinking={"type": "enabled", "budget_tokens": 100},
    ).json()
    assert thought["content"] == [
        {"type": "thinking", "thinking": "hmm", "signature": ""},
        {"type": "text", "text": "Answer"},
    ]


def test_errors_in_anthropic_shape(inprocess: InProcessServer) -> None:
    missing = inprocess.post("/v1/messages", model="nope", max_tokens=10, messages=HELLO)
    assert missing.status_code == 404
    body = missing.json()
    assert body["type"] == "error" and body["request_id"].startswith("req_")
    assert body["error"] == {"type": "not_found_error", "message": "model 'nope' not found"}
    invalid = inprocess.post("/v1/messages", model="tiny", messages=HELLO)
    assert invalid.status_code == 400
    assert invalid.json()["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }
