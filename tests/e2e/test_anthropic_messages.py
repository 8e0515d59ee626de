"""The Anthropic Messages API (`/v1/messages`) through a real server and the real gemma
model, driven by the official `anthropic` SDK, including its stream accumulator
(`messages.stream`), which checks that every event fits the ones before it."""

from __future__ import annotations

import json
from typing import Any

import anthropic
import httpx
import jsonschema
import pytest

from tests.conftest import RunningServer
from tests.e2e.chat_templates import (
    THINKING_TEMPLATE,
    TOOLS_TEMPLATE,
    WEATHER_TOOL,
    derived_model,
)

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

# This SDK no longer takes sampling arguments; the server still does, sent as extra fields.
GREEDY: dict[str, Any] = {"max_tokens": 12, "extra_body": {"temperature": 0}}
QUESTION = [{"role": "user", "content": "Name three colors."}]
WEATHER = {
    "name": "get_weather",
    "description": WEATHER_TOOL["function"]["description"],
    "input_schema": WEATHER_TOOL["function"]["parameters"],
}


@pytest.fixture(scope="module")
def client(server: RunningServer, gemma: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=server.url, api_key="anything", max_retries=0)


@pytest.fixture(scope="module")
def tools_model(server: RunningServer, gemma: str) -> str:
    return derived_model(server, gemma, "gemma-claude-tools", TOOLS_TEMPLATE)


@pytest.fixture(scope="module")
def thinker(server: RunningServer, gemma: str) -> str:
    return derived_model(server, gemma, "gemma-claude-thinks", THINKING_TEMPLATE)


def test_message_whole_and_through_the_stream_accumulator(
    client: anthropic.Anthropic, gemma: str
) -> None:
    whole = client.messages.create(model=gemma, messages=QUESTION, **GREEDY)  # type: ignore[arg-type]
    assert whole.id.startswith("msg_") and whole.type == "message"
    assert whole.role == "assistant" and whole.model == gemma
    [block] = whole.content
    assert block.type == "text" and block.text
    assert whole.stop_reason in ("end_turn", "max_tokens")
    assert whole.usage.input_tokens > 0 and 0 < whole.usage.output_tokens <= 12

    with client.messages.stream(model=gemma, messages=QUESTION, **GREEDY) as stream:  # type: ignore[arg-type]
        deltas = list(stream.text_stream)
        final = stream.get_final_message()
    assert "".join(deltas) == block.text
    assert final.content[0].type == "text" and final.content[0].text == block.text
    assert final.stop_reason == whole.stop_reason
    assert final.usage.output_tokens == whole.usage.output_tokens
    total = final.usage.input_tokens + (final.usage.cache_read_input_tokens or 0)
    assert total == whole.usage.input_tokens + (whole.usage.cache_read_input_tokens or 0)


def test_system_blocks_and_multi_turn(client: anthropic.Anthropic, gemma: str) -> None:
    answer = client.messages.create(
        model=gemma,
        system=[{"type": "text", "text": "Answer in one word."}],
        messages=[
            {"role": "user", "content": [{"type": "text", "text": "What color is grass?"}]},
            {"role": "assistant", "content": "Green."},
            {"role": "user", "content": "And the sky?"},
        ],
        stop_sequences=["\n"],
        **GREEDY,
    )
    assert answer.content and answer.content[0].type == "text"
    assert "\n" not in answer.content[0].text  # type: ignore[union-attr]


def test_count_tokens_matches_the_prompt_evaluated(client: anthropic.Anthropic, gemma: str) -> None:
    counted = client.messages.count_tokens(model=gemma, messages=QUESTION)  # type: ignore[arg-type]
    # A one-token answer makes the prompt evaluate in full, from no cache.
    fresh = client.messages.create(
        model=gemma,
        system="Count me.",
        messages=QUESTION,  # type: ignore[arg-type]
        max_tokens=1,
    )
    with_system = client.messages.count_tokens(model=gemma, system="Count me.", messages=QUESTION)  # type: ignore[arg-type]
    used = fresh.usage.input_tokens + (fresh.usage.cache_read_input_tokens or 0)
    assert with_system.input_tokens == used > counted.input_tokens > 0


def test_forced_tool_use_and_its_result(client: anthropic.Anthropic, tools_model: str) -> None:
    request: dict[str, Any] = {
        "model": tools_model,
        "messages": [{"role": "user", "content": "What is the weather in London?"}],
        "tools": [WEATHER],
        "tool_choice": {"type": "any"},
        "max_tokens": 64,
        "extra_body": {"temperature": 0},
    }
    whole = client.messages.create(**request)
    assert whole.stop_reason == "tool_use"
    [use] = [block for block in whole.content if block.type == "tool_use"]
    assert use.name == "get_weather" and use.id
    assert use.input["city"] in ("Paris", "London", "Tokyo")  # type: ignore[index]

    with client.messages.stream(**request) as stream:
        final = stream.get_final_message()
    [streamed] = [block for block in final.content if block.type == "tool_use"]
    assert streamed.name == "get_weather" and streamed.input == use.input
    assert final.stop_reason == "tool_use"

    answered = client.messages.create(
        model=tools_model,
        messages=[
            request["messages"][0],
            {"role": "assistant", "content": [use.model_dump()]},
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "18 C"}],
            },
        ],
        tools=[WEATHER],
        tool_choice={"type": "none"},
        **GREEDY,
    )
    assert [block.type for block in answered.content] == ["text"]


def test_output_format_json_schema(client: anthropic.Anthropic, gemma: str) -> None:
    schema = {
        "type": "object",
        "properties": {"color": {"enum": ["red", "green", "blue"]}},
        "required": ["color"],
    }
    answer = client.messages.create(
        model=gemma,
        messages=[{"role": "user", "content": "Pick a color."}],
        max_tokens=60,
        output_config={"format": {"type": "json_schema", "schema": schema}},
        extra_body={"temperature": 0},
    )
    assert answer.stop_reason == "end_turn"
    jsonschema.validate(json.loads(answer.content[0].text), schema)  # type: ignore[union-attr]


def test_thinking_blocks_and_relaxed_thinking(
    client: anthropic.Anthropic, thinker: str, gemma: str
) -> None:
    thinking: Any = {"type": "enabled", "budget_tokens": 1024}
    whole = client.messages.create(
        model=thinker,
        messages=QUESTION,
        thinking=thinking,
        **GREEDY,  # type: ignore[arg-type]
    )
    assert whole.content[0].type == "thinking" and whole.content[0].thinking.strip()
    with client.messages.stream(
        model=thinker,
        messages=QUESTION,
        thinking=thinking,
        **GREEDY,  # type: ignore[arg-type]
    ) as stream:
        final = stream.get_final_message()
    assert final.content[0].type == "thinking"
    assert final.content[0].thinking == whole.content[0].thinking
    # A model without thinking answers anyway (Claude clients always ask for it).
    plain = client.messages.create(
        model=gemma,
        messages=QUESTION,
        thinking=thinking,
        **GREEDY,  # type: ignore[arg-type]
    )
    assert [block.type for block in plain.content] == ["text"]


def test_errors_in_anthropics_shape(
    client: anthropic.Anthropic, server: RunningServer, gemma: str
) -> None:
    with pytest.raises(anthropic.NotFoundError) as missing:
        client.messages.create(model="no-such-model", messages=QUESTION, max_tokens=5)  # type: ignore[arg-type]
    assert missing.value.body["error"]["type"] == "not_found_error"  # type: ignore[index]
    reply = httpx.post(f"{server.url}/v1/messages", json={"model": gemma, "messages": QUESTION})
    assert reply.status_code == 400
    body = reply.json()
    assert body["type"] == "error" and body["request_id"].startswith("req_")
    assert body["error"] == {
        "type": "invalid_request_error",
        "message": "max_tokens: Field required",
    }
    with pytest.raises(anthropic.BadRequestError) as tool:
        client.messages.create(
            model=gemma,
            messages=QUESTION,  # type: ignore[arg-type]
            max_tokens=5,
            tools=[{"type": "web_search_20250305", "name": "web_search"}],
        )
    assert "web_search_20250305" in tool.value.message


def test_models_in_anthropics_shape(
    client: anthropic.Anthropic, server: RunningServer, gemma: str
) -> None:
    page = client.models.list(limit=1000)
    assert gemma in [info.id for info in page.data]
    assert all(info.type == "model" for info in page.data)
    info = client.models.retrieve(gemma)
    assert info.id == gemma and info.display_name == gemma and info.created_at.year >= 2024
    with pytest.raises(anthropic.NotFoundError) as missing:
        client.models.retrieve("no-such-model")
    assert missing.value.body["type"] == "error"  # type: ignore[index]
    # OpenAI clients (no anthropic-version header) still get OpenAI's shapes.
    plain = httpx.get(f"{server.url}/v1/models/{gemma}").json()
    assert plain["object"] == "model" and "type" not in plain
