"""`/v1/responses` through a real server and the real gemma model, driven by the official
`openai` SDK, including its own stream accumulator (`responses.stream`), which checks that every
event fits the ones before it."""

from __future__ import annotations

import json
from typing import Any

import jsonschema
import openai
import pytest

from tests.conftest import RunningServer
from tests.e2e.chat_templates import (
    THINKING_TEMPLATE,
    TOOLS_TEMPLATE,
    WEATHER_TOOL,
    derived_model,
)

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

GREEDY: dict[str, Any] = {"temperature": 0, "max_output_tokens": 12}
FLAT_WEATHER_TOOL = {"type": "function", **WEATHER_TOOL["function"]}
COLOR: dict[str, Any] = {
    "type": "object",
    "properties": {"color": {"enum": ["red", "green", "blue"]}},
    "required": ["color"],
}


@pytest.fixture(scope="module")
def client(server: RunningServer, gemma: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="anything", max_retries=0)


@pytest.fixture(scope="module")
def tools_model(server: RunningServer, gemma: str) -> str:
    return derived_model(server, gemma, "gemma-responses-tools", TOOLS_TEMPLATE)


@pytest.fixture(scope="module")
def thinker(server: RunningServer, gemma: str) -> str:
    return derived_model(server, gemma, "gemma-responses-thinks", THINKING_TEMPLATE)


def test_text_answer_whole_and_streamed(client: openai.OpenAI, gemma: str) -> None:
    whole = client.responses.create(model=gemma, input="Name three colors.", **GREEDY)
    assert whole.id.startswith("resp_") and whole.object == "response"
    assert whole.model == gemma and whole.output_text
    [message] = whole.output
    assert message.type == "message" and message.role == "assistant"
    assert message.id.startswith("msg_") and message.status == "completed"
    if whole.status == "incomplete":  # the pretrained model rambles past 12 tokens
        assert whole.incomplete_details is not None
        assert whole.incomplete_details.reason == "max_output_tokens"
    else:
        assert whole.status == "completed"
    assert whole.usage is not None and whole.usage.input_tokens > 0
    assert whole.usage.output_tokens <= 12
    assert whole.usage.total_tokens == whole.usage.input_tokens + whole.usage.output_tokens
    assert whole.temperature == 0 and whole.max_output_tokens == 12

    events = list(
        client.responses.create(model=gemma, input="Name three colors.", stream=True, **GREEDY)
    )
    kinds = [e.type for e in events]
    assert kinds[:2] == ["response.created", "response.in_progress"]
    assert kinds[-1] == f"response.{whole.status}"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == whole.output_text
    final = events[-1].response  # type: ignore[union-attr]
    assert final.output_text == whole.output_text and final.usage is not None
    assert len({final.id, events[0].response.id}) == 1  # type: ignore[union-attr]


def test_the_sdk_stream_accumulator_agrees(client: openai.OpenAI, gemma: str) -> None:
    # The accumulator wants `response.completed`, so the answer must end by itself (a schema
    # makes it), not at max_output_tokens, which ends the stream with `response.incomplete`.
    request: dict[str, Any] = {
        "model": gemma,
        "input": "Pick a color.",
        "text": {"format": {"type": "json_schema", "name": "pick", "schema": COLOR}},
        "temperature": 0,
        "max_output_tokens": 60,
    }
    whole = client.responses.create(**request)
    assert whole.status == "completed" and whole.incomplete_details is None
    with client.responses.stream(**request) as stream:
        texts = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(texts) == final.output_text == whole.output_text
    jsonschema.validate(json.loads(final.output_text), COLOR)


def test_instructions_and_input_items(client: openai.OpenAI, gemma: str) -> None:
    answer = client.responses.create(
        model=gemma,
        instructions="Answer in one word.",
        input=[
            {"role": "user", "content": "What color is grass?"},
            {"type": "message", "role": "assistant", "content": "Green."},
            {
                "type": "message",
                "role": "developer",
                "content": [{"type": "input_text", "text": "Be brief."}],
            },
            {"role": "user", "content": [{"type": "input_text", "text": "And the sky?"}]},
        ],
        **GREEDY,
    )
    assert answer.instructions == "Answer in one word."
    assert answer.output_text


def test_json_object_and_json_schema_text_formats(client: openai.OpenAI, gemma: str) -> None:
    schema = {**COLOR, "properties": {**COLOR["properties"], "count": {"type": "integer"}}}
    text = {"format": {"type": "json_schema", "name": "pick", "schema": schema}}
    answer = client.responses.create(
        model=gemma, input="Pick a color.", text=text, temperature=1.0, max_output_tokens=60
    )
    jsonschema.validate(json.loads(answer.output_text), schema)
    assert answer.text is not None and answer.text.format.type == "json_schema"
    anything = client.responses.create(
        model=gemma,
        input="A JSON object about cats:",
        text={"format": {"type": "json_object"}},
        temperature=0,
        max_output_tokens=40,
    )
    if anything.status == "completed":
        assert isinstance(json.loads(anything.output_text), dict)
    else:  # an unbounded object may run out of tokens, but it starts as one
        assert anything.output_text.lstrip().startswith("{")


def test_forced_function_call_whole_streamed_and_answered(
    client: openai.OpenAI, tools_model: str
) -> None:
    request: dict[str, Any] = {
        "model": tools_model,
        "input": "What is the weather in London?",
        "tools": [FLAT_WEATHER_TOOL],
        "tool_choice": "required",
        "temperature": 0,
        "max_output_tokens": 64,
    }
    whole = client.responses.create(**request)
    calls = [item for item in whole.output if item.type == "function_call"]
    assert len(calls) == 1 and whole.status == "completed"
    [call] = calls
    assert call.call_id.startswith("call_") and call.id and call.id.startswith("fc_")
    assert call.name == "get_weather"
    assert json.loads(call.arguments)["city"] in ("Paris", "London", "Tokyo")

    with client.responses.stream(**request) as stream:
        kinds = [event.type for event in stream]
        final = stream.get_final_response()
    assert "response.function_call_arguments.done" in kinds
    [streamed] = [item for item in final.output if item.type == "function_call"]
    assert streamed.name == "get_weather" and json.loads(streamed.arguments)["city"]

    # The call and its output go back as input items; the model then answers in text.
    followed = client.responses.create(
        model=tools_model,
        input=[
            {"role": "user", "content": "What is the weather in London?"},
            {
                "type": "function_call",
                "call_id": call.call_id,
                "name": call.name,
                "arguments": call.arguments,
            },
            {"type": "function_call_output", "call_id": call.call_id, "output": "18 C, sunny"},
        ],
        tools=[FLAT_WEATHER_TOOL],
        tool_choice="none",
        **GREEDY,
    )
    assert [item.type for item in followed.output] == ["message"]
    assert followed.output_text


def test_reasoning_items(client: openai.OpenAI, thinker: str) -> None:
    request: dict[str, Any] = {
        "model": thinker,
        "input": "Why is the sky blue?",
        "reasoning": {"effort": "low"},
        **GREEDY,
    }
    whole = client.responses.create(**request)
    reasoning = [item for item in whole.output if item.type == "reasoning"]
    assert len(reasoning) == 1 and reasoning[0].summary[0].text.strip()
    assert whole.reasoning is not None and whole.reasoning.effort == "low"

    # The pretrained model never closes <think> in 12 tokens: the stream ends `incomplete`,
    # which the SDK's accumulator refuses, so the events are checked here.
    events = list(client.responses.create(**request, stream=True))
    kinds = [e.type for e in events]
    deltas = len(kinds) - 13
    assert deltas > 0
    assert kinds == [
        "response.created",
        "response.in_progress",
        "response.output_item.added",
        "response.reasoning_summary_part.added",
        *["response.reasoning_summary_text.delta"] * deltas,
        "response.reasoning_summary_text.done",
        "response.reasoning_summary_part.done",
        "response.output_item.done",
        # then the message, empty: the answer never began
        "response.output_item.added",
        "response.content_part.added",
        "response.output_text.done",
        "response.content_part.done",
        "response.output_item.done",
        "response.incomplete",
    ]
    thinking = [e.delta for e in events if e.type == "response.reasoning_summary_text.delta"]
    assert "".join(thinking) == reasoning[0].summary[0].text
    final = events[-1].response  # type: ignore[union-attr]
    assert [item.type for item in final.output] == ["reasoning", "message"]

    plain = client.responses.create(**{**request, "reasoning": {"effort": "none"}})
    assert [item.type for item in plain.output] == ["message"]


def test_logprobs(client: openai.OpenAI, gemma: str) -> None:
    answer = client.responses.create(
        model=gemma,
        input="Name three colors.",
        include=["message.output_text.logprobs"],
        top_logprobs=2,
        **GREEDY,
    )
    [message] = answer.output
    content = message.content[0]  # type: ignore[union-attr]
    assert content.type == "output_text" and content.logprobs
    assert all(len(entry.top_logprobs) == 2 for entry in content.logprobs)
    assert "".join(entry.token for entry in content.logprobs) == content.text


def test_errors_in_the_openai_envelope(client: openai.OpenAI, gemma: str) -> None:
    with pytest.raises(openai.BadRequestError) as stateful:
        client.responses.create(model=gemma, input="hi", previous_response_id="resp_1")
    assert "previous_response_id" in stateful.value.message
    with pytest.raises(openai.NotFoundError):
        client.responses.create(model="no-such-model", input="hi")
    with pytest.raises(openai.BadRequestError) as tool:
        client.responses.create(model=gemma, input="hi", tools=[{"type": "web_search"}])
    assert "web_search" in tool.value.message
    assert tool.value.body["type"] == "invalid_request_error"  # type: ignore[index]
