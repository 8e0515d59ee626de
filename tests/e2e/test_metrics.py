"""`GET /metrics` of a real `pollama serve` with the real gemma model, driven by the official
`ollama` and `openai` clients: what the clients were told is what the counters say.

The server is this module's own: the test counts its loads and kills its runner.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from typing import Any

import httpx
import ollama
import openai
import pytest

from tests.conftest import RunningServer, create_gemma, runner_pids, start_server, stop_server
from tests.metrics.parsing import Scrape

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

OPTIONS = {"temperature": 0, "seed": 1, "num_predict": 4}
MODEL = "gemma3:270m"
REQUESTS = "pollama_http_requests_total"
# A long shared prefix: the second chat reuses it from the prefix cache.
SYSTEM = " ".join(f"Rule {n}: answer briefly and politely, in plain words." for n in range(30))


@pytest.fixture(scope="module")
def metered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("metrics"))
    try:
        create_gemma(running.url, MODEL)
        yield running
    finally:
        stop_server(running.process)


def scrape(server: RunningServer) -> Scrape:
    answer = httpx.get(f"{server.url}/metrics", timeout=30)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain; version=0.0.4")
    return Scrape(answer.text)


class Tally:
    """What the clients were told: prompt and generated tokens, and generations."""

    def __init__(self) -> None:
        self.prompt = self.generated = self.generations = 0

    def final(self, response: Any) -> None:
        assert response.done
        self.prompt += response.prompt_eval_count
        self.generated += response.eval_count
        self.generations += 1


def test_metrics_match_what_the_clients_saw(metered: RunningServer) -> None:
    client = ollama.Client(host=metered.url)
    tally = Tally()
    before = scrape(metered)
    messages = [{"role": "user", "content": "Name a colour."}]

    tally.final(client.generate(model=MODEL, prompt="Say hi.", options=OPTIONS))
    *_, last = client.generate(model=MODEL, prompt="Say bye.", options=OPTIONS, stream=True)
    tally.final(last)
    tally.final(client.chat(model=MODEL, messages=messages, options=OPTIONS))
    *_, last = client.chat(model=MODEL, messages=messages, options=OPTIONS, stream=True)
    tally.final(last)
    completion = openai.OpenAI(base_url=f"{metered.url}/v1", api_key="unused").chat.completions
    answer = completion.create(model=MODEL, messages=messages, max_tokens=4, temperature=0)
    assert answer.usage is not None
    tally.prompt += answer.usage.prompt_tokens
    tally.generated += answer.usage.completion_tokens
    tally.generations += 1
    embedded = client.embed(model=MODEL, input=["red", "green blue"])
    tally.prompt += embedded.prompt_eval_count or 0
    with pytest.raises(ollama.ResponseError) as missing:
        client.show("no-such-model")
    assert missing.value.status_code == 404
    foreign = httpx.get(f"{metered.url}/api/tags", headers={"Origin": "https://evil.example"})
    assert foreign.status_code == 403

    got = scrape(metered)

    def sent(method: str, route: str, status: str) -> float:
        labels = {"method": method, "route": route, "status": status}
        return got.value(REQUESTS, **labels) - before.value(REQUESTS, **labels)

    assert sent("POST", "/api/generate", "200") == 2
    assert sent("POST", "/api/chat", "200") == 2
    assert sent("POST", "/v1/chat/completions", "200") == 1
    assert sent("POST", "/api/embed", "200") == 1
    assert sent("POST", "/api/show", "404") == 1
    assert sent("GET", "/api/tags", "403") == 1
    assert sent("GET", "/metrics", "200") == 1  # the scrape before (this one is not done yet)

    assert got.value("pollama_prompt_tokens_total", model=MODEL) == tally.prompt
    assert got.value("pollama_generated_tokens_total", model=MODEL) == tally.generated
    first = got.value("pollama_time_to_first_token_seconds_count", model=MODEL)
    gaps = got.value("pollama_inter_token_latency_seconds_count", model=MODEL)
    assert first == tally.generations == 5
    assert gaps == tally.generated - tally.generations  # a gap per token after the first
    assert got.value("pollama_time_to_first_token_seconds_sum", model=MODEL) > 0
    assert got.value("pollama_inter_token_latency_seconds_sum", model=MODEL) > 0

    assert got.value("pollama_model_loads_total", model=MODEL) == 1  # one runner served all
    assert got.value("pollama_model_load_duration_seconds_count", model=MODEL) == 1
    assert got.value("pollama_model_load_duration_seconds_sum", model=MODEL) > 0
    assert got.value("pollama_kv_cells_used", model=MODEL) > 0
    assert got.value("pollama_kv_cells_total", model=MODEL) >= got.value(
        "pollama_kv_cells_used", model=MODEL
    )
    assert got.value("pollama_active_slots", model=MODEL) == 0
    assert got.value("pollama_queue_depth") == 0

    # The prefix cache: the same long system prompt twice, read raw for prompt_cache_count.
    hits_before = got.value("pollama_prefix_cache_hit_tokens_total", model=MODEL)
    reported = 0
    for question in ("Name a fruit.", "Name a tree."):
        body = {
            "model": MODEL,
            "stream": False,
            "options": OPTIONS,
            "messages": [
                {"role": "system", "content": SYSTEM},
                {"role": "user", "content": question},
            ],
        }
        chat = httpx.post(f"{metered.url}/api/chat", json=body, timeout=300).json()
        reported += chat.get("prompt_cache_count", 0)
    hits = scrape(metered).value("pollama_prefix_cache_hit_tokens_total", model=MODEL)
    assert reported > 0 and hits - hits_before == reported

    # An unload with keep_alive 0 (not an eviction).
    client.generate(model=MODEL, keep_alive=0)
    got = scrape(metered)
    assert got.value("pollama_model_unloads_total", model=MODEL) == 1
    assert got.value("pollama_model_evictions_total", model=MODEL) == 0
    assert got.series("pollama_kv_cells_used") == {}  # nothing loaded

    # A crash: the runner is killed; the server counts it once the runner's channel closes.
    client.generate(model=MODEL, prompt="Hi.", options={**OPTIONS, "num_predict": 1})
    (pid,) = runner_pids(metered)
    os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while scrape(metered).value("pollama_runner_crashes_total", model=MODEL) == 0:
        assert time.monotonic() < deadline, "the crash was never counted"
        time.sleep(0.1)
    got = scrape(metered)
    assert got.value("pollama_runner_crashes_total", model=MODEL) == 1
    assert got.value("pollama_model_loads_total", model=MODEL) == 2
