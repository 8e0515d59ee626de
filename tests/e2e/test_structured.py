"""Structured outputs, forced tool calls and logprobs through a real server and the real gemma
model, driven by the official `ollama` client (and raw HTTP for pollama's `tool_choice`)."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import jsonschema
import ollama
import pytest

from tests.conftest import RunningServer
from tests.e2e.chat_templates import BARE_TOOLS_TEMPLATE, TOOLS_TEMPLATE, WEATHER_TOOL

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

# Every string is bounded, so a grammar-following answer always fits in num_predict.
PERSON = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 12},
        "age": {"type": "integer"},
        "employed": {"type": "boolean"},
        "color": {"enum": ["red", "green", "blue"]},
        "pets": {
            "type": "array",
            "items": {"type": "string", "maxLength": 8},
            "maxItems": 3,
        },
        "address": {
            "type": "object",
            "properties": {"city": {"type": "string", "maxLength": 10}},
            "required": ["city"],
        },
    },
    "required": ["name", "age", "employed", "color", "address"],
}
# Sampled at temperature 1: small but with every kind of constraint (bounded string, integer,
# enum, bounded array of bounded strings), so each sample is short and a few prove enforcement.
SAMPLED = {
    "type": "object",
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 8},
        "age": {"type": "integer"},
        "color": {"enum": ["red", "green", "blue"]},
        "pets": {"type": "array", "items": {"type": "string", "maxLength": 6}, "maxItems": 2},
    },
    "required": ["name", "age", "color", "pets"],
}
SAMPLES_AT_ONE = 8  # two rounds over the session server's four slots


@pytest.fixture(scope="module")
def client(server: RunningServer, gemma: str) -> ollama.Client:
    return ollama.Client(host=server.url)


def _create_tools_model(client: ollama.Client, gemma: str, name: str, template: str) -> str:
    shown = client.show(gemma)
    client.create(model=name, from_=gemma, template=template)
    assert "tools" in (client.show(name).capabilities or [])
    assert shown.template != template
    return name


@pytest.fixture(scope="module")
def tools_model(client: ollama.Client, gemma: str) -> str:
    return _create_tools_model(client, gemma, "gemma-tools:latest", TOOLS_TEMPLATE)


@pytest.fixture(scope="module")
def bare_tools_model(client: ollama.Client, gemma: str) -> str:
    return _create_tools_model(client, gemma, "gemma-bare-tools:latest", BARE_TOOLS_TEMPLATE)


def _person(
    client: ollama.Client,
    gemma: str,
    options: dict[str, Any],
    schema: dict[str, Any] = PERSON,
    num_predict: int = 160,
) -> Any:
    answer = client.generate(
        model=gemma,
        prompt="Describe a person as JSON.",
        format=schema,
        options={"num_predict": num_predict, **options},
    )
    assert answer.done_reason == "stop", answer.response
    value = json.loads(answer.response)
    jsonschema.validate(value, schema)
    return value


def test_schema_at_temperature_zero_validates(client: ollama.Client, gemma: str) -> None:
    first = _person(client, gemma, {"temperature": 0})
    assert _person(client, gemma, {"temperature": 0}) == first


def test_schema_at_temperature_one_validates_every_time(client: ollama.Client, gemma: str) -> None:
    def sample(seed: int) -> Any:
        return _person(client, gemma, {"temperature": 1.0, "seed": seed}, SAMPLED, 96)

    with ThreadPoolExecutor(4) as pool:
        values = list(pool.map(sample, range(SAMPLES_AT_ONE)))
    assert len(values) == SAMPLES_AT_ONE
    assert len({json.dumps(v, sort_keys=True) for v in values}) > 1  # really sampled


def test_chat_with_schema_and_streaming(client: ollama.Client, gemma: str) -> None:
    schema = {
        "type": "object",
        "properties": {"answer": {"type": "integer"}, "sure": {"type": "boolean"}},
        "required": ["answer", "sure"],
    }
    messages = [{"role": "user", "content": "What is 2 + 2?"}]
    parts = list(
        client.chat(
            model=gemma,
            messages=messages,
            format=schema,
            stream=True,
            options={"temperature": 1.0, "seed": 3, "num_predict": 64},
        )
    )
    text = "".join(p.message.content for p in parts)
    jsonschema.validate(json.loads(text), schema)


def test_format_json_is_an_object(client: ollama.Client, gemma: str) -> None:
    answer = client.generate(
        model=gemma,
        prompt="A JSON object about the weather:",
        format="json",
        options={"temperature": 0, "num_predict": 200},
    )
    if answer.done_reason == "stop":
        assert isinstance(json.loads(answer.response), dict)
    else:  # an unbounded object may run out of tokens, but it starts as one
        assert answer.response.lstrip().startswith("{")


def test_unsupported_schema_keywords_are_a_400_that_names_them(
    client: ollama.Client, gemma: str
) -> None:
    schema = {"type": "object", "properties": {"age": {"type": "integer", "minimum": 0}}}
    with pytest.raises(ollama.ResponseError) as caught:
        client.generate(model=gemma, prompt="x", format=schema)
    assert caught.value.status_code == 400
    assert "minimum at #/properties/age" in caught.value.error


def test_invalid_format_value_is_a_400(server: RunningServer, gemma: str) -> None:
    reply = httpx.post(
        f"{server.url}/api/generate",
        json={"model": gemma, "prompt": "x", "format": "xml", "stream": False},
        timeout=60,
    )
    assert reply.status_code == 400
    assert reply.json()["error"] == (
        'invalid format: "xml"; expected "json" or a valid JSON Schema object'
    )


def test_logprobs_shapes(client: ollama.Client, gemma: str) -> None:
    answer = client.generate(
        model=gemma,
        prompt="Hello",
        logprobs=True,
        top_logprobs=3,
        options={"temperature": 0, "num_predict": 5},
    )
    assert answer.logprobs and len(answer.logprobs) == answer.eval_count
    for entry in answer.logprobs:
        assert isinstance(entry.token, str) and entry.logprob <= 0
        assert entry.top_logprobs is not None and len(entry.top_logprobs) == 3
    with pytest.raises(ollama.ResponseError) as caught:
        client.generate(model=gemma, prompt="Hello", logprobs=True, top_logprobs=21)
    assert caught.value.status_code == 400


def _assert_weather_call(calls: Any) -> None:
    assert calls and len(calls) == 1
    call = calls[0]
    function = call["function"] if isinstance(call, dict) else call.function
    name = function["name"] if isinstance(function, dict) else function.name
    arguments = function["arguments"] if isinstance(function, dict) else function.arguments
    assert name == "get_weather"
    assert arguments["city"] in ("Paris", "London", "Tokyo")


def test_forced_tool_call_arrives_as_a_tool_call_native(
    server: RunningServer, tools_model: str
) -> None:
    request = {
        "model": tools_model,
        "messages": [{"role": "user", "content": "What is the weather in Paris?"}],
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "options": {"temperature": 1.0, "seed": 7, "num_predict": 64},
    }
    reply = httpx.post(f"{server.url}/api/chat", json={**request, "stream": False}, timeout=120)
    assert reply.status_code == 200, reply.text
    message = reply.json()["message"]
    _assert_weather_call(message["tool_calls"])
    assert message["tool_calls"][0]["id"].startswith("call_")
    assert message["tool_calls"][0]["function"]["index"] == 0
    assert "<tool_call>" not in message["content"]

    # Streamed: content held while the tag is pending; the call arrives whole, once.
    with httpx.stream("POST", f"{server.url}/api/chat", json=request, timeout=120) as stream:
        chunks = [json.loads(line) for line in stream.iter_lines() if line]
    calls = [c for chunk in chunks for c in chunk["message"].get("tool_calls", [])]
    _assert_weather_call(calls)
    assert "<tool_call>" not in "".join(chunk["message"]["content"] for chunk in chunks)


def test_schema_forced_bare_json_call_with_the_ollama_client(
    client: ollama.Client, bare_tools_model: str
) -> None:
    call_schema = {
        "type": "object",
        "properties": {
            "name": {"const": "get_weather"},
            "arguments": WEATHER_TOOL["function"]["parameters"],
        },
        "required": ["name", "arguments"],
    }
    answer = client.chat(
        model=bare_tools_model,
        messages=[{"role": "user", "content": "Weather in Tokyo?"}],
        tools=[WEATHER_TOOL],
        format=call_schema,
        options={"temperature": 0, "num_predict": 64},
    )
    _assert_weather_call(answer.message.tool_calls)
    assert answer.message.content == ""


def test_tool_results_are_rendered_back(client: ollama.Client, tools_model: str) -> None:
    messages = [
        {"role": "user", "content": "Weather in Paris?"},
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [{"function": {"name": "get_weather", "arguments": {"city": "Paris"}}}],
        },
        {"role": "tool", "tool_name": "get_weather", "content": "18 degrees, sunny"},
    ]
    reply = httpx.post(
        f"{client._client.base_url}/api/chat",
        json={
            "model": tools_model,
            "messages": messages,
            "tools": [WEATHER_TOOL],
            "_debug_render_only": True,
        },
        timeout=60,
    )
    rendered = reply.json()["_debug_info"]["rendered_template"]
    assert '<tool_call>\n{"name": "get_weather", "arguments": {"city":"Paris"}}' in rendered
    assert "Result of get_weather: 18 degrees, sunny" in rendered


def test_forced_tool_call_through_the_openai_sdk(server: RunningServer, tools_model: str) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="any")
    request: dict[str, Any] = {
        "model": tools_model,
        "messages": [{"role": "user", "content": "What is the weather in London?"}],
        "tools": [WEATHER_TOOL],
        "tool_choice": "required",
        "temperature": 0,
        "max_tokens": 64,
    }
    answer = client.chat.completions.create(**request)
    choice = answer.choices[0]
    assert choice.finish_reason == "tool_calls"
    calls = choice.message.tool_calls
    assert calls and len(calls) == 1 and calls[0].id.startswith("call_")
    assert calls[0].type == "function" and calls[0].function.name == "get_weather"
    assert json.loads(calls[0].function.arguments)["city"] in ("Paris", "London", "Tokyo")

    chunks = list(client.chat.completions.create(**request, stream=True))
    streamed = [c for chunk in chunks for ch in chunk.choices for c in ch.delta.tool_calls or []]
    assert len(streamed) == 1 and streamed[0].function.name == "get_weather"
    assert json.loads(streamed[0].function.arguments or "")["city"]
    assert chunks[-1].choices[0].finish_reason == "tool_calls"
