"""The `/v1` and Anthropic translators in process: they run the native preparation, so the
scripted runner gets the native prompt and the answer comes back in their shapes."""

from __future__ import annotations

from tests.inprocess.conftest import InProcessServer

HELLO = [{"role": "user", "content": "hello"}]


def test_chat_completions_whole(inprocess: InProcessServer) -> None:
    inprocess.reply("Hi", " there")
    answer = inprocess.post("/v1/chat/completions", model="tiny", messages=HELLO)
    assert answer.status_code == 200
    body = answer.json()
    assert body["object"] == "chat.completion" and body["model"] == "tiny"
    assert body["choices"][0]["message"] == {"role": "assistant", "content": "Hi there"}
    assert body["choices"][0]["finish_reason"] == "stop"
    assert body["usage"]["completion_tokens"] == 2
    assert inprocess.runner.requests[-1].prompt == "<user>hello</user><assistant>"
    # OpenAI's defaults, not the model's: temperature and top_p 1.
    assert inprocess.runner.requests[-1].options["temperature"] == 1.0


def test_chat_completions_streamed(inprocess: InProcessServer) -> None:
    inprocess.reply("a", "b")
    events = inprocess.events("/v1/chat/completions", model="tiny", messages=HELLO, stream=True)
    assert events[-1] == "[DONE]"
    chunks = events[:-1]
    assert all(chunk["object"] == "chat.completion.chunk" for chunk in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == "ab"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_chat_completions_errors_take_openai_envelope(inprocess: InProcessServer) -> None:
    answer = inprocess.post("/v1/chat/completions", model="nope", messages=HELLO)
    assert answer.status_code == 404
    assert answer.json()["error"]["message"] == "model 'nope' not found"


def test_anthropic_count_tokens(inprocess: InProcessServer) -> None:
    answer = inprocess.post(
        "/v1/messages/count_tokens", model="tiny", messages=[{"role": "user", "content": "a b"}]
    )
    assert answer.status_code == 200
    assert answer.json() == {"input_tokens": 3}  # BOS, "<user>a", "b</user><assistant>"
    assert inprocess.scheduler.running()[0].in_flight == 0
