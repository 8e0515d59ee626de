"""`/api/generate` and `/api/chat` in process, over a scripted runner: the prompt the runner gets,
streamed and whole answers, the final chunk's fields, load/unload answers, failures."""

from __future__ import annotations

from pollama.runner.types import GenerateParams
from tests.inprocess.conftest import InProcessServer

HELLO = [{"role": "user", "content": "hello"}]


def test_generate_whole(inprocess: InProcessServer) -> None:
    inprocess.reply("Hi", " there")
    answer = inprocess.post("/api/generate", model="tiny", prompt="say hi", stream=False)
    assert answer.status_code == 200
    body = answer.json()
    assert body["model"] == "tiny" and body["response"] == "Hi there"
    assert body["done"] is True and body["done_reason"] == "stop"
    assert body["prompt_eval_count"] == 3  # BOS, "<user>say", "hi</user><assistant>"
    assert body["eval_count"] == 2
    assert body["eval_duration"] > 0 and body["total_duration"] > 0
    assert isinstance(body["context"], list)
    assert inprocess.runner.requests[-1].prompt == "<user>say hi</user><assistant>"


def test_generate_streamed(inprocess: InProcessServer) -> None:
    inprocess.reply("a", "b", "c")
    lines = inprocess.stream("/api/generate", model="tiny", prompt="x")
    assert [line["response"] for line in lines] == ["a", "b", "c", ""]
    assert [line["done"] for line in lines] == [False, False, False, True]
    assert lines[-1]["done_reason"] == "stop" and lines[-1]["eval_count"] == 3


def test_num_predict_and_stop_end_the_reply(inprocess: InProcessServer) -> None:
    inprocess.reply("one", " two", " three")
    short = inprocess.post(
        "/api/generate", model="tiny", prompt="x", stream=False, options={"num_predict": 2}
    ).json()
    assert (short["response"], short["done_reason"]) == ("one two", "length")
    stopped = inprocess.post(
        "/api/generate", model="tiny", prompt="x", stream=False, options={"stop": [" tw"]}
    ).json()
    assert (stopped["response"], stopped["done_reason"]) == ("one", "stop")


def test_chat_whole_and_streamed(inprocess: InProcessServer) -> None:
    inprocess.reply(lambda params: ["echo:", str(params.prompt)])
    whole = inprocess.post("/api/chat", model="tiny", messages=HELLO, stream=False).json()
    assert whole["message"] == {
        "role": "assistant",
        "content": "echo:<user>hello</user><assistant>",
    }
    assert whole["done_reason"] == "stop"
    lines = inprocess.stream("/api/chat", model="tiny", messages=HELLO)
    assert "".join(line["message"]["content"] for line in lines) == whole["message"]["content"]
    assert lines[-1]["done"] is True and "context" not in lines[-1]


def test_generation_options_reach_the_runner(inprocess: InProcessServer) -> None:
    seen: list[GenerateParams] = []
    inprocess.reply(lambda params: seen.append(params) or ["ok"])
    body = {"model": "tiny", "messages": HELLO, "stream": False}
    inprocess.post("/api/chat", **body, options={"temperature": 0.25}, logprobs=True)
    assert seen[-1].options["temperature"] == 0.25 and seen[-1].logprobs is True


def test_empty_prompt_loads_and_keep_alive_zero_unloads(inprocess: InProcessServer) -> None:
    loaded = inprocess.post("/api/generate", model="tiny").json()
    assert (loaded["done"], loaded["done_reason"], loaded["response"]) == (True, "load", "")
    assert inprocess.client.get("/api/ps").json()["models"][0]["name"] == "tiny:latest"
    unloaded = inprocess.post("/api/chat", model="tiny", messages=[], keep_alive=0).json()
    assert unloaded["done_reason"] == "unload"
    assert inprocess.runner.closed


def test_debug_render_only_answers_the_prompt(inprocess: InProcessServer) -> None:
    answer = inprocess.post(
        "/api/chat", model="tiny", messages=HELLO, _debug_render_only=True
    ).json()
    assert answer["_debug_info"]["rendered_template"] == "<user>hello</user><assistant>"
    assert inprocess.runner.requests == []  # nothing was generated


def test_the_slot_is_free_after_every_kind_of_answer(inprocess: InProcessServer) -> None:
    """One slot: each request below would wait forever if an earlier one kept its lease."""
    body = {"model": "tiny", "messages": HELLO, "stream": False}
    inprocess.post("/api/chat", **body)
    inprocess.post("/api/chat", **body, _debug_render_only=True)
    inprocess.post("/api/chat", model="tiny", messages=[])
    inprocess.post("/api/chat", **body, top_logprobs=50)  # refused before the lease
    inprocess.runner.fail("boom")
    inprocess.post("/api/chat", **body)
    loaded = inprocess.scheduler.running()[0]
    assert loaded.in_flight == 0
    assert inprocess.post("/api/chat", **body).status_code == 200


def test_a_failure_before_the_first_piece_is_an_http_error(inprocess: InProcessServer) -> None:
    inprocess.post("/api/generate", model="tiny")  # load it
    inprocess.runner.fail("llama runner process has terminated: signal: killed", die=True)
    answer = inprocess.post("/api/generate", model="tiny", prompt="x", stream=False)
    assert answer.status_code == 500
    assert answer.json() == {"error": "llama runner process has terminated: signal: killed"}
    assert not inprocess.runner.alive
    inprocess.reply("back")
    again = inprocess.post("/api/generate", model="tiny", prompt="x", stream=False)
    assert again.json()["response"] == "back" and len(inprocess.runners.started) == 2


def test_a_failure_midway_ends_the_stream_with_an_error_line(
    inprocess: InProcessServer,
) -> None:
    inprocess.post("/api/generate", model="tiny")
    inprocess.reply("a", "b", "c")
    inprocess.runner.fail("boom", after=2)
    lines = inprocess.stream("/api/generate", model="tiny", prompt="x")
    assert lines == [
        {**lines[0], "response": "a"},
        {**lines[1], "response": "b"},
        {"error": "boom"},
    ]


def test_unknown_model_and_bad_requests(inprocess: InProcessServer) -> None:
    missing = inprocess.post("/api/chat", model="nope", messages=HELLO)
    assert missing.status_code == 404
    assert missing.json() == {"error": "model 'nope' not found"}
    nameless = inprocess.post("/api/chat", messages=HELLO)
    assert (nameless.status_code, nameless.json()) == (400, {"error": "model is required"})
    raw = inprocess.post("/api/generate", model="tiny", prompt="x", raw=True, system="s")
    assert raw.status_code == 400
    assert raw.json() == {"error": "raw mode does not support template, system, or context"}


def test_a_stream_closed_early_leaves_the_model_serving(inprocess: InProcessServer) -> None:
    inprocess.reply(*[f" w{i}" for i in range(50)])
    body = {"model": "tiny", "prompt": "x"}
    with inprocess.client.stream("POST", "/api/generate", json=body) as answer:
        first = next(answer.iter_lines())
    assert '"response":" w0"' in first.replace(": ", ":")
    assert inprocess.post("/api/generate", **body, stream=False).status_code == 200
    # Whether the abandoned stream's lease is released at once depends on when the test
    # client reports the disconnect (not always before the next request ends): the slot being
    # freed is checked against a real one-slot server, tests/e2e/test_inference.py
    # (test_disconnect_frees_the_slot).
