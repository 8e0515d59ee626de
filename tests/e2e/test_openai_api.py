"""The OpenAI-compatible `/v1` API through a real server and the real gemma model, driven by
the official `openai` SDK."""

from __future__ import annotations

import base64
import json
import math
import struct

import httpx
import openai
import pytest

from tests.conftest import RunningServer

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

GREEDY = {"temperature": 0, "max_tokens": 12, "seed": 1}
QUESTION = [{"role": "user", "content": "Name three colors."}]


@pytest.fixture(scope="module")
def client(server: RunningServer, gemma: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.url + "/v1", api_key="anything", max_retries=0)


def test_chat_non_stream_and_stream(client: openai.OpenAI, gemma: str) -> None:
    whole = client.chat.completions.create(model=gemma, messages=QUESTION, **GREEDY)
    assert whole.id.startswith("chatcmpl-") and whole.object == "chat.completion"
    assert whole.model == gemma and whole.system_fingerprint == "fp_ollama"
    [choice] = whole.choices
    assert choice.message.role == "assistant" and choice.message.content
    assert choice.finish_reason in ("stop", "length")
    assert whole.usage is not None and whole.usage.prompt_tokens > 0
    assert whole.usage.total_tokens == whole.usage.prompt_tokens + whole.usage.completion_tokens

    chunks = list(
        client.chat.completions.create(
            model=gemma,
            messages=QUESTION,
            stream=True,
            stream_options={"include_usage": True},
            **GREEDY,
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert len({c.id for c in chunks}) == 1 and len({c.created for c in chunks}) == 1
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == choice.message.content
    finish, usage = chunks[-2], chunks[-1]
    assert finish.choices[0].finish_reason == choice.finish_reason
    assert finish.choices[0].delta.content is None
    assert usage.choices == [] and usage.usage is not None
    assert usage.usage.completion_tokens == whole.usage.completion_tokens


def test_completions(client: openai.OpenAI, gemma: str) -> None:
    whole = client.completions.create(model=gemma, prompt="The sky is", **GREEDY)
    assert whole.id.startswith("cmpl-") and whole.object == "text_completion"
    [choice] = whole.choices
    assert choice.text and choice.finish_reason in ("stop", "length")
    assert whole.usage is not None and whole.usage.completion_tokens > 0

    echoed = client.completions.create(model=gemma, prompt="The sky is", echo=True, **GREEDY)
    assert echoed.choices[0].text == "The sky is" + choice.text

    chunks = list(
        client.completions.create(
            model=gemma,
            prompt="The sky is",
            stream=True,
            stream_options={"include_usage": True},
            **GREEDY,
        )
    )
    assert "".join(c.choices[0].text for c in chunks if c.choices) == choice.text
    assert chunks[-2].choices[0].finish_reason == choice.finish_reason
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert chunks[-1].usage.total_tokens == whole.usage.total_tokens


def test_completions_suffix_needs_insert(client: openai.OpenAI, gemma: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.completions.create(model=gemma, prompt="def f(", suffix="return 1", max_tokens=4)
    assert "does not support insert" in caught.value.message


def test_embeddings_float_base64_and_dimensions(client: openai.OpenAI, gemma: str) -> None:
    floats = client.embeddings.create(
        model=gemma, input=["hello world", "goodbye"], encoding_format="float"
    )
    assert [d.index for d in floats.data] == [0, 1] and floats.model == gemma
    assert floats.usage.prompt_tokens > 0
    vector = floats.data[0].embedding
    assert math.isclose(sum(x * x for x in vector), 1.0, rel_tol=1e-4)

    encoded = client.embeddings.create(model=gemma, input="hello world", encoding_format="base64")
    raw = base64.b64decode(str(encoded.data[0].embedding))
    decoded = struct.unpack(f"<{len(raw) // 4}f", raw)
    assert len(decoded) == len(vector)
    assert all(math.isclose(a, b, abs_tol=1e-6) for a, b in zip(decoded, vector, strict=True))

    short = client.embeddings.create(model=gemma, input="hello world", dimensions=8)
    assert len(short.data[0].embedding) == 8  # the SDK's default: base64, decoded by it
    assert math.isclose(sum(x * x for x in short.data[0].embedding), 1.0, rel_tol=1e-4)


def test_models_list_and_retrieve(client: openai.OpenAI, gemma: str) -> None:
    listed = {m.id: m for m in client.models.list()}
    assert gemma in listed
    assert listed[gemma].owned_by == "library" and listed[gemma].created > 0
    one = client.models.retrieve(gemma)
    assert one.id == gemma and one.object == "model" and one.owned_by == "library"
    with pytest.raises(openai.NotFoundError) as caught:
        client.models.retrieve("no-such-model")
    assert caught.value.body == {
        "message": "model 'no-such-model:latest' not found",
        "type": "not_found_error",
        "param": None,
        "code": None,
    }


def test_error_envelopes(client: openai.OpenAI, server: RunningServer, gemma: str) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model=gemma, messages=[])
    assert caught.value.message.endswith("[] is too short - 'messages'")
    assert isinstance(caught.value.body, dict)
    assert caught.value.body["type"] == "invalid_request_error"
    with pytest.raises(openai.NotFoundError):
        client.chat.completions.create(model="no-such-model", messages=QUESTION)
    answer = httpx.post(server.url + "/v1/chat/completions", content=b'{"model": 1}')
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"


def test_json_schema_response_format(client: openai.OpenAI, gemma: str) -> None:
    schema = {
        "type": "object",
        "properties": {"ok": {"type": "boolean"}},
        "required": ["ok"],
    }
    answer = client.chat.completions.create(
        model=gemma,
        messages=[{"role": "user", "content": "Is water wet? Answer in JSON."}],
        response_format={"type": "json_schema", "json_schema": {"name": "a", "schema": schema}},
        temperature=0,
        max_tokens=16,
    )
    content = answer.choices[0].message.content
    assert content is not None and isinstance(json.loads(content)["ok"], bool)


def test_logprobs_shapes(client: openai.OpenAI, gemma: str) -> None:
    chat = client.chat.completions.create(
        model=gemma, messages=QUESTION, logprobs=True, top_logprobs=2, **GREEDY
    )
    logprobs = chat.choices[0].logprobs
    assert logprobs is not None and logprobs.content
    assert "".join(e.token for e in logprobs.content) == chat.choices[0].message.content
    for entry in logprobs.content:
        assert entry.logprob <= 0 and len(entry.top_logprobs) == 2
        assert entry.top_logprobs[0].logprob >= entry.top_logprobs[1].logprob

    text = client.completions.create(model=gemma, prompt="The sky is", logprobs=2, **GREEDY)
    lp = text.choices[0].logprobs
    assert lp is not None and lp.tokens and lp.token_logprobs and lp.top_logprobs
    assert len(lp.tokens) == len(lp.token_logprobs) == len(lp.top_logprobs)
    assert lp.text_offset is not None and lp.text_offset[0] == 0
    assert all(len(top) <= 2 for top in lp.top_logprobs)
