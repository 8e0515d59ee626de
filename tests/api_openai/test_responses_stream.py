"""Native chat answers → the Responses API's response object and named stream events."""

from __future__ import annotations

from typing import Any

from pollama.api.openai.requests import ResponsesRequest
from pollama.api.openai.responses_output import ResponseShell
from pollama.api.openai.responses_stream import ResponseStream
from tests.fixtures.native import native_chunk

CALL = {"id": "call_1", "function": {"index": 0, "name": "f", "arguments": {"x": 1}}}
FINAL = {"done": True, "done_reason": "stop", "prompt_eval_count": 5, "eval_count": 3}


def shell(**fields: Any) -> ResponseShell:
    return ResponseShell(ResponsesRequest.model_validate({"model": "m", "input": "hi", **fields}))


def chunk(**message: Any) -> dict[str, Any]:
    return {"done": False, "message": {"role": "assistant", "content": "", **message}}


def stream_of(*chunks: dict[str, Any], **fields: Any) -> list[dict[str, Any]]:
    stream = ResponseStream(shell(**fields))
    events = [event for native in chunks for event in stream.translate(native_chunk(native))]
    return events


def kinds(events: list[dict[str, Any]]) -> list[str]:
    return [e["type"].removeprefix("response.") for e in events]


def test_text_stream() -> None:
    events = stream_of(chunk(content="Hel"), chunk(content="lo"), FINAL)
    assert kinds(events) == [
        "created",
        "in_progress",
        "output_item.added",
        "content_part.added",
        "output_text.delta",
        "output_text.delta",
        "output_text.done",
        "content_part.done",
        "output_item.done",
        "completed",
    ]
    assert [e["sequence_number"] for e in events] == list(range(len(events)))
    added, done = events[2]["item"], events[8]["item"]
    assert added["status"] == "in_progress" and added["content"] == []
    assert done["id"] == added["id"] and done["id"].startswith("msg_")
    assert done["content"][0]["text"] == "Hello" and events[6]["text"] == "Hello"
    response = events[-1]["response"]
    assert response["status"] == "completed" and response["output"] == [done]
    assert response["usage"]["total_tokens"] == 8
    assert response["id"] == events[0]["response"]["id"] and response["id"].startswith("resp_")
    assert events[0]["response"]["status"] == "in_progress"


def test_whitespace_before_a_call_opens_no_message() -> None:
    events = stream_of(chunk(content="\n"), chunk(tool_calls=[CALL]), FINAL)
    assert kinds(events)[2:] == [
        "output_item.added",
        "function_call_arguments.delta",
        "function_call_arguments.done",
        "output_item.done",
        "completed",
    ]
    item = events[-1]["response"]["output"][0]
    assert item["type"] == "function_call" and item["call_id"] == "call_1"
    assert item["arguments"] == '{"x":1}' and item["id"] == events[2]["item"]["id"]
    assert events[2]["item"]["arguments"] == "" and events[3]["delta"] == '{"x":1}'


def test_items_close_in_order_with_their_indexes() -> None:
    events = stream_of(
        chunk(thinking="Hm"),
        chunk(content=" "),  # held, then shown with the text after it
        chunk(content="Yes"),
        chunk(tool_calls=[CALL]),
        FINAL,
    )
    added = [e for e in events if e["type"] == "response.output_item.added"]
    done = [e for e in events if e["type"] == "response.output_item.done"]
    assert [e["item"]["type"] for e in added] == ["reasoning", "message", "function_call"]
    assert [e["output_index"] for e in added] == [0, 1, 2]
    assert [e["output_index"] for e in done] == [0, 1, 2]
    reasoning, message, call = (e["item"] for e in done)
    assert reasoning["summary"] == [{"type": "summary_text", "text": "Hm"}]
    assert message["content"][0]["text"] == " Yes" and call["name"] == "f"
    ids = {e["output_index"]: e["item"]["id"] for e in added}
    deltas = [e for e in events if e["type"].endswith("_text.delta")]
    assert [ids[e["output_index"]] for e in deltas] == [e["item_id"] for e in deltas]


def test_length_is_incomplete_and_an_empty_answer_is_still_a_message() -> None:
    events = stream_of({**FINAL, "done_reason": "length"})
    response = events[-1]["response"]
    assert events[-1]["type"] == "response.incomplete"
    assert response["status"] == "incomplete" and response["completed_at"] is None
    assert response["incomplete_details"] == {"reason": "max_output_tokens"}
    assert response["output"][0]["content"][0]["text"] == ""


def test_held_whitespace_is_shown_once_with_its_logprobs() -> None:
    space = {"token": " ", "logprob": -0.5, "bytes": [32], "top_logprobs": []}
    only = stream_of({**chunk(content=" "), "logprobs": [space]}, FINAL)
    [delta] = [e for e in only if e["type"] == "response.output_text.delta"]
    assert delta["delta"] == " " and delta["logprobs"] == [space]
    assert only[-1]["response"]["output"][0]["content"][0]["text"] == " "
    word = {**space, "token": "Hi", "bytes": [72, 105]}
    later = stream_of(
        {**chunk(content=" "), "logprobs": [space]},
        {**chunk(content="Hi"), "logprobs": [word]},
        FINAL,
    )
    [delta] = [e for e in later if e["type"] == "response.output_text.delta"]
    assert delta["delta"] == " Hi" and delta["logprobs"] == [space, word]


def test_logprobs_ride_on_the_deltas_and_the_part() -> None:
    entry = {"token": "Hi", "logprob": -0.1, "bytes": [72, 105], "top_logprobs": []}
    events = stream_of({**chunk(content="Hi"), "logprobs": [entry]}, FINAL)
    delta = next(e for e in events if e["type"] == "response.output_text.delta")
    assert delta["logprobs"] == [{**entry, "top_logprobs": []}]
    part = events[-1]["response"]["output"][0]["content"][0]
    assert part["logprobs"] == delta["logprobs"]


def test_failure_ends_with_error_then_failed() -> None:
    stream = ResponseStream(shell())
    stream.translate(native_chunk(chunk(content="Hi")))
    error, failed = stream.failure(500, "runner crashed")
    assert error == {
        "type": "error",
        "sequence_number": error["sequence_number"],
        "code": "api_error",
        "message": "runner crashed",
        "param": None,
    }
    assert failed["type"] == "response.failed"
    assert failed["sequence_number"] == error["sequence_number"] + 1
    assert failed["response"]["status"] == "failed"
    assert failed["response"]["error"] == {"code": "api_error", "message": "runner crashed"}


def test_the_unstreamed_answer_echoes_the_request() -> None:
    tools = [{"type": "function", "name": "f", "parameters": {"type": "object"}}]
    answer = shell(
        instructions="Be brief.",
        temperature=0.2,
        max_output_tokens=9,
        tools=tools,
        reasoning={"effort": "low"},
        metadata={"k": "v"},
    ).answer(
        native_chunk(
            {
                **FINAL,
                "prompt_cache_count": 4,
                "message": {"content": "\n", "thinking": "Hm", "tool_calls": [CALL]},
            }
        )
    )
    assert [item["type"] for item in answer["output"]] == ["reasoning", "function_call"]
    assert answer["object"] == "response" and answer["status"] == "completed"
    assert answer["instructions"] == "Be brief." and answer["tools"] == tools
    assert answer["temperature"] == 0.2 and answer["top_p"] == 1.0
    assert answer["max_output_tokens"] == 9 and answer["metadata"] == {"k": "v"}
    assert answer["reasoning"] == {"effort": "low", "summary": None}
    assert answer["text"] == {"format": {"type": "text"}} and answer["tool_choice"] == "auto"
    assert answer["usage"]["input_tokens_details"] == {"cached_tokens": 4}
    assert answer["completed_at"] >= answer["created_at"]
