"""The `/v1` routes in process (beyond test_translators): tool calls, the streamed chunk
sequence, usage, response_format, completions, models and responses."""

from __future__ import annotations

import json

import pytest

from tests.inprocess.conftest import InProcessServer
from tests.inprocess.templates import RICH_TEMPLATE, WEATHER_CALL, WEATHER_TOOL

HELLO = [{"role": "user", "content": "hello"}]
RESPONSES_TOOL = {"type": "function", **WEATHER_TOOL["function"]}  # type: ignore[dict-item]


@pytest.fixture
def rich(inprocess: InProcessServer) -> InProcessServer:
    inprocess.create("rich", template=RICH_TEMPLATE)
    return inprocess


def _envelope(message: str, kind: str = "invalid_request_error") -> dict[str, object]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


def test_tool_calls_whole(rich: InProcessServer) -> None:
    rich.reply("Sure ", WEATHER_CALL)
    body = rich.post("/v1/chat/completions", model="rich", messages=HELLO, tools=[WEATHER_TOOL])
    [choice] = body.json()["choices"]
    assert choice["finish_reason"] == "tool_calls"
    [call] = choice["message"]["tool_calls"]
    assert call["type"] == "function" and call["index"] == 0 and call["id"].startswith("call_")
    assert call["function"] == {"name": "get_weather", "arguments": '{"city":"Paris"}'}
    assert choice["message"]["content"] == "Sure "


def test_streamed_chunks_role_first_usage_last(rich: InProcessServer) -> None:
    rich.reply("Sure ", WEATHER_CALL)
    events = rich.events(
        "/v1/chat/completions",
        model="rich",
        messages=HELLO,
        tools=[WEATHER_TOOL],
        stream=True,
        stream_options={"include_usage": True},
    )
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert len({chunk["id"] for chunk in chunks}) == 1
    deltas = [c["choices"][0]["delta"] for c in chunks[:3]]
    assert deltas[0] == {"role": "assistant", "content": "Sure "}
    assert deltas[1]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert "role" not in deltas[1]
    assert deltas[2] == {} and chunks[2]["choices"][0]["finish_reason"] == "tool_calls"
    assert chunks[3]["choices"] == []
    assert chunks[3]["usage"] == {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}


def test_reasoning_comes_back_apart(rich: InProcessServer) -> None:
    rich.reply("<think>", "hmm", "</think>", "Answer")
    answer = rich.post(
        "/v1/chat/completions", model="rich", messages=HELLO, reasoning_effort="high"
    ).json()
    assert answer["choices"][0]["message"] == {
        "role": "assistant",
        "content": "Answer",
        "reasoning": "hmm",
    }


def test_response_format(inprocess: InProcessServer) -> None:
    json_object = {"type": "json_object"}
    inprocess.post(
        "/v1/chat/completions", model="tiny", messages=HELLO, response_format=json_object
    )
    assert inprocess.runner.requests[-1].grammar is not None
    inprocess.post(
        "/v1/chat/completions", model="tiny", messages=HELLO, response_format={"type": "xml"}
    )
    assert inprocess.runner.requests[-1].grammar is None  # an unknown type is ignored
    schema = {"type": "object", "properties": {"a": {"type": "string", "pattern": "a"}}}
    refused = inprocess.post(
        "/v1/chat/completions",
        model="tiny",
        messages=HELLO,
        response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": schema}},
    )
    assert refused.status_code == 400
    assert refused.json() == _envelope(
        'format: invalid JSON schema: Pattern must start with "^" and end with "$"'
    )


def test_request_errors_in_the_openai_envelope(inprocess: InProcessServer) -> None:
    typed = inprocess.post("/v1/chat/completions", model="tiny", messages=HELLO, temperature="x")
    assert typed.status_code == 400
    assert typed.json() == _envelope(
        "json: cannot unmarshal string into Go struct field"
        " ChatCompletionRequest.temperature of type float64"
    )


def test_completions(inprocess: InProcessServer) -> None:
    inprocess.reply("a", "b")
    whole = inprocess.post("/v1/completions", model="tiny", prompt="say").json()
    assert whole["object"] == "text_completion" and whole["id"].startswith("cmpl-")
    assert whole["choices"] == [{"text": "ab", "index": 0, "finish_reason": "stop"}]
    assert whole["usage"] == {"prompt_tokens": 2, "completion_tokens": 2, "total_tokens": 4}
    assert inprocess.runner.requests[-1].prompt == "<user>say</user><assistant>"
    events = inprocess.events("/v1/completions", model="tiny", prompt="say", stream=True)
    assert events[-1] == "[DONE]"
    assert [(e["choices"][0]["text"], e["choices"][0]["finish_reason"]) for e in events[:-1]] == [
        ("a", None),
        ("b", None),
        ("", "stop"),
    ]


def test_models_list_and_one(rich: InProcessServer) -> None:
    listed = rich.client.get("/v1/models").json()
    assert listed["object"] == "list"
    assert [(m["id"], m["object"], m["owned_by"]) for m in listed["data"]] == [
        ("rich:latest", "model", "library"),
        ("tiny:latest", "model", "library"),
    ]
    one = rich.client.get("/v1/models/tiny").json()
    assert (one["id"], one["object"], one["owned_by"]) == ("tiny", "model", "library")
    missing = rich.client.get("/v1/models/nope")
    assert missing.status_code == 404
    assert missing.json() == _envelope("model 'nope:latest' not found", "not_found_error")


def test_responses_whole(rich: InProcessServer) -> None:
    rich.reply("a", "b")
    answer = rich.post("/v1/responses", model="tiny", input="hi").json()
    assert answer["object"] == "response" and answer["status"] == "completed"
    [item] = answer["output"]
    assert (item["type"], item["role"], item["status"]) == ("message", "assistant", "completed")
    assert item["content"] == [
        {"type": "output_text", "text": "ab", "annotations": [], "logprobs": []}
    ]
    assert answer["usage"]["input_tokens"] == 2 and answer["usage"]["output_tokens"] == 2
    assert rich.runner.requests[-1].prompt == "<user>hi</user><assistant>"


def test_responses_function_call_item(rich: InProcessServer) -> None:
    rich.reply("Sure ", WEATHER_CALL)
    answer = rich.post("/v1/responses", model="rich", input="hi", tools=[RESPONSES_TOOL]).json()
    message, call = answer["output"]
    assert message["content"][0]["text"] == "Sure "
    assert (call["type"], call["name"], json.loads(call["arguments"])) == (
        "function_call",
        "get_weather",
        {"city": "Paris"},
    )
    assert call["call_id"].startswith("call_")


def test_responses_streamed_event_order(inprocess: InProcessServer) -> None:
    inprocess.reply("a", "b")
    events = inprocess.events("/v1/responses", model="tiny", input="hi", stream=True)
    assert [e["type"] for e in events] == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.delta",
        "response.output_text.delta",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.completed",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    assert [e["delta"] for e in events if e["type"].endswith(".delta")] == ["a", "b"]
    assert events[-1]["response"]["status"] == "completed"


def test_responses_errors(inprocess: InProcessServer) -> None:
    stateful = inprocess.post("/v1/responses", model="tiny", input="hi", previous_response_id="r")
    assert stateful.status_code == 400
    assert stateful.json() == _envelope(
        "'previous_response_id' is not supported: responses are stateless here"
    )
    missing = inprocess.post("/v1/responses", model="nope", input="hi")
    assert missing.status_code == 404
    assert missing.json() == _envelope("model 'nope' not found", "not_found_error")
