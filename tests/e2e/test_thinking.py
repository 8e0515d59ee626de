"""Thinking through a real server and the real gemma model: capability from the template, the
400 for models without it, and the split of thinking from content (streamed and not)."""

from __future__ import annotations

from typing import Any

import ollama
import pytest

from tests.conftest import RunningServer
from tests.e2e.chat_templates import THINKING_TEMPLATE

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

OPTIONS = {"temperature": 0, "num_predict": 12}


@pytest.fixture(scope="module")
def client(server: RunningServer, gemma: str) -> ollama.Client:
    return ollama.Client(host=server.url)


@pytest.fixture(scope="module")
def thinker(client: ollama.Client, gemma: str) -> str:
    client.create(
        model="gemma-thinks:latest",
        from_=gemma,
        template=THINKING_TEMPLATE,
        parameters={"num_predict": 12, "temperature": 0},
    )
    assert "thinking" in (client.show("gemma-thinks").capabilities or [])
    return "gemma-thinks:latest"


def test_think_on_a_model_without_the_capability_is_a_400(
    client: ollama.Client, gemma: str
) -> None:
    with pytest.raises(ollama.ResponseError) as caught:
        client.chat(model=gemma, messages=[{"role": "user", "content": "hi"}], think=True)
    assert caught.value.status_code == 400
    assert caught.value.error == f'"{gemma}" does not support thinking'
    answer = client.chat(
        model=gemma, messages=[{"role": "user", "content": "hi"}], think=False, options=OPTIONS
    )
    assert answer.message.thinking is None


def test_thinking_is_split_from_content(client: ollama.Client, thinker: str) -> None:
    messages = [{"role": "user", "content": "Why is the sky blue?"}]
    whole = client.chat(model=thinker, messages=messages, options=OPTIONS)
    # The prompt ends inside <think>; the pretrained model never closes it within 12 tokens.
    assert whole.message.thinking and whole.message.thinking.strip()
    assert whole.message.content == ""
    parts = list(client.chat(model=thinker, messages=messages, options=OPTIONS, stream=True))
    assert "".join(p.message.thinking or "" for p in parts) == whole.message.thinking
    plain = client.chat(model=thinker, messages=messages, options=OPTIONS, think=False)
    assert plain.message.thinking is None and plain.message.content


def test_generate_splits_thinking_too(client: ollama.Client, thinker: str) -> None:
    answer = client.generate(model=thinker, prompt="Why is the sky blue?", options=OPTIONS)
    assert answer.thinking and answer.response == ""


def test_cli_think_and_hidethinking(server: RunningServer, thinker: str, gemma: str) -> None:
    shown = server.cli("run", thinker, "Why is the sky blue?")
    assert shown.returncode == 0, shown.stderr
    assert "Thinking..." in shown.stdout
    hidden = server.cli("run", thinker, "--hidethinking", "Why is the sky blue?")
    assert hidden.returncode == 0, hidden.stderr
    assert "Thinking..." not in hidden.stdout
    refused = server.cli("run", gemma, "--think", "hi")
    assert refused.returncode != 0
    assert "does not support thinking" in refused.stderr


def test_cli_format_json(server: RunningServer, gemma: str) -> None:
    result = server.cli("run", gemma, "--format", "json", "A JSON object about cats:")
    assert result.returncode == 0, result.stderr
    assert result.stdout.lstrip().startswith("{")


def test_reasoning_on_v1(server: RunningServer, thinker: str) -> None:
    import openai

    client = openai.OpenAI(base_url=f"{server.url}/v1", api_key="any")
    messages: list[Any] = [{"role": "user", "content": "Why is the sky blue?"}]
    answer = client.chat.completions.create(model=thinker, messages=messages, temperature=0)
    extra = answer.choices[0].message.model_extra or {}
    assert extra.get("reasoning", "").strip()
    chunks = list(
        client.chat.completions.create(model=thinker, messages=messages, temperature=0, stream=True)
    )
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning", "") for c in chunks if c.choices
    )
    assert reasoning == extra["reasoning"]
    plain = client.chat.completions.create(
        model=thinker, messages=messages, temperature=0, reasoning_effort="none"
    )
    assert not (plain.choices[0].message.model_extra or {}).get("reasoning")
