"""`GET /metrics` of the whole app over scripted runners: every route's tokens counted once,
with the model's name, first-token and per-token observations that add up exactly, the
prefix cache, embeddings, and the requests themselves."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pollama.metrics import CONTENT_TYPE
from tests.inprocess.conftest import CHAT_TEMPLATE, InProcessServer
from tests.metrics.parsing import Scrape

TINY = "tiny:latest"  # the scheduler's name of `tiny`, whatever the request spelled
HELLO = [{"role": "user", "content": "hello there"}]
REQUESTS = "pollama_http_requests_total"


@pytest.fixture
def server(tmp_path: Path) -> Iterator[InProcessServer]:
    with InProcessServer(tmp_path) as running:
        running.runners.runner_options["prefix_cache"] = True
        running.create("tiny", template=CHAT_TEMPLATE)
        running.create("emb", embedding=True)
        yield running


def scrape(server: InProcessServer) -> Scrape:
    answer = server.client.get("/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == CONTENT_TYPE
    return Scrape(answer.text)


def test_tokens_and_timings_of_every_kind_of_completion(server: InProcessServer) -> None:
    prompt = generated = cached = 0

    def native(body: dict[str, object]) -> None:
        nonlocal prompt, generated, cached
        prompt += int(body["prompt_eval_count"])  # type: ignore[call-overload]
        generated += int(body["eval_count"])  # type: ignore[call-overload]
        cached += int(body.get("prompt_cache_count", 0))  # type: ignore[call-overload]

    # First, on a fresh runner: nothing is cached (OpenAI's usage would not tell).
    usage = server.post("/v1/chat/completions", model="tiny", messages=HELLO).json()["usage"]
    prompt += usage["prompt_tokens"]
    generated += usage["completion_tokens"]
    native(server.post("/api/generate", model="tiny", prompt="hi", stream=False).json())
    native(server.stream("/api/generate", model="TINY", prompt="hi again")[-1])
    native(server.post("/api/chat", model="tiny", messages=HELLO, stream=False).json())
    native(server.stream("/api/chat", model="tiny:latest", messages=HELLO)[-1])  # cached
    server.reply("a", "b", "c", "d")
    usage = server.post("/v1/messages", model="tiny", max_tokens=8, messages=HELLO).json()["usage"]
    prompt += usage["input_tokens"] + usage["cache_read_input_tokens"]
    generated += usage["output_tokens"]
    cached += usage["cache_read_input_tokens"]
    generations = 6

    got = scrape(server)
    assert got.value("pollama_prompt_tokens_total", model=TINY) == prompt
    assert got.value("pollama_generated_tokens_total", model=TINY) == generated
    assert cached > 0  # the repeated chats reused their prefix
    assert got.value("pollama_prefix_cache_hit_tokens_total", model=TINY) == cached
    first = got.value("pollama_time_to_first_token_seconds_count", model=TINY)
    gaps = got.value("pollama_inter_token_latency_seconds_count", model=TINY)
    assert first == generations
    assert gaps == generated - generations  # one per token after each generation's first
    assert got.value("pollama_model_loads_total", model=TINY) == 1
    for route in ("/api/generate", "/api/chat", "/v1/chat/completions", "/v1/messages"):
        want = 2 if route.startswith("/api/") else 1
        counted = got.value(REQUESTS, method="POST", route=route, status="200")
        assert counted == want


def test_embeddings_count_their_prompt_tokens(server: InProcessServer) -> None:
    one = server.post("/api/embed", model="emb", input=["a b", "c"]).json()
    legacy = server.post("/api/embeddings", model="emb", prompt="d e f")
    assert legacy.status_code == 200
    openai = server.post("/v1/embeddings", model="emb", input="g").json()
    expected = one["prompt_eval_count"] + 4 + openai["usage"]["prompt_tokens"]  # BOS + 3
    got = scrape(server)
    assert got.value("pollama_prompt_tokens_total", model="emb:latest") == expected
    assert got.value("pollama_generated_tokens_total", model="emb:latest") == 0
    assert got.value("pollama_time_to_first_token_seconds_count", model="emb:latest") == 0


def test_errors_and_scrapes_are_counted_too(server: InProcessServer) -> None:
    assert server.post("/api/show", model="missing").status_code == 404
    refused = server.client.get("/api/tags", headers={"Origin": "http://evil.example"})
    assert refused.status_code == 403
    scrape(server)
    got = scrape(server)
    assert got.value(REQUESTS, method="POST", route="/api/show", status="404") == 1
    assert got.value(REQUESTS, method="GET", route="/api/tags", status="403") == 1
    assert got.value(REQUESTS, method="GET", route="/metrics", status="200") == 1  # the first
    durations = got.series("pollama_http_request_duration_seconds_count")
    assert (("route", "/metrics"),) not in durations
    assert durations[(("route", "/api/show"),)] == 1
