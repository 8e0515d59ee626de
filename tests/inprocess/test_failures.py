"""Error paths without weights, in process: a failed load, a runner failing before its first
piece or midway in each API's shape."""

from __future__ import annotations

from pollama.errors import PollamaError
from tests.inprocess.conftest import InProcessServer

HELLO = [{"role": "user", "content": "hello"}]


def test_a_refused_load_is_a_500_in_each_shape(inprocess: InProcessServer) -> None:
    refusal = "unable to load model"
    inprocess.runners.refuse(PollamaError(refusal))
    native = inprocess.post("/api/generate", model="tiny", prompt="x", stream=False)
    assert (native.status_code, native.json()) == (500, {"error": refusal})
    inprocess.runners.refuse(PollamaError(refusal))
    openai = inprocess.post("/v1/chat/completions", model="tiny", messages=HELLO)
    assert openai.status_code == 500
    assert openai.json() == {
        "error": {"message": refusal, "type": "api_error", "param": None, "code": None}
    }
    inprocess.runners.refuse(PollamaError(refusal))
    anthropic = inprocess.post("/v1/messages", model="tiny", messages=HELLO, max_tokens=5)
    assert anthropic.status_code == 500
    assert anthropic.json()["error"] == {"type": "api_error", "message": refusal}
    assert inprocess.runners.started == []
    assert (
        inprocess.post("/api/generate", model="tiny", prompt="x", stream=False).status_code == 200
    )


def test_openai_failures_before_and_during_the_stream(inprocess: InProcessServer) -> None:
    inprocess.post("/api/generate", model="tiny")  # load it
    inprocess.reply("a", "b")
    inprocess.runner.fail("boom")
    whole = inprocess.post("/v1/chat/completions", model="tiny", messages=HELLO)
    assert whole.status_code == 500
    assert whole.json()["error"] == {
        "message": "boom",
        "type": "api_error",
        "param": None,
        "code": None,
    }
    inprocess.runner.fail("boom", after=1)
    events = inprocess.events("/v1/chat/completions", model="tiny", messages=HELLO, stream=True)
    assert events[0]["choices"][0]["delta"] == {"role": "assistant", "content": "a"}
    assert events[1:] == [
        {"error": {"message": "boom", "type": "api_error", "param": None, "code": None}}
    ]


def test_anthropic_failure_midway_is_an_error_event(inprocess: InProcessServer) -> None:
    inprocess.post("/api/generate", model="tiny")
    inprocess.reply("a", "b")
    inprocess.runner.fail("boom", after=1)
    body = {"model": "tiny", "max_tokens": 10, "messages": HELLO, "stream": True}
    with inprocess.client.stream("POST", "/v1/messages", json=body) as answer:
        lines = [line for line in answer.iter_lines() if line]
    assert lines[-2:] == [
        "event: error",
        'data: {"type":"error","error":{"type":"api_error","message":"boom"}}',
    ]
    inprocess.runner.fail("boom")
    whole = inprocess.post("/v1/messages", model="tiny", messages=HELLO, max_tokens=5)
    assert whole.status_code == 500
    assert whole.json()["error"] == {"type": "api_error", "message": "boom"}
