"""Generation, chat, embeddings and the scheduler through a real server and the real gemma model,
driven by the official `ollama` client."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator

import httpx
import ollama
import pytest

from tests.conftest import RunningServer, create_gemma, start_server, stop_server

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

GREEDY = {"temperature": 0, "num_predict": 24, "seed": 1}


@pytest.fixture(scope="module")
def client(server: RunningServer, gemma: str) -> ollama.Client:
    return ollama.Client(host=server.url)


def test_generate_streamed_equals_non_streamed(client: ollama.Client, gemma: str) -> None:
    whole = client.generate(model=gemma, prompt="Name three colors.", options=GREEDY)
    assert whole.done and whole.done_reason in ("stop", "length")
    assert whole.response.strip()
    assert whole.eval_count and whole.prompt_eval_count and whole.total_duration
    assert whole.context and len(whole.context) >= whole.prompt_eval_count
    parts = list(
        client.generate(model=gemma, prompt="Name three colors.", options=GREEDY, stream=True)
    )
    assert "".join(p.response for p in parts) == whole.response
    final = parts[-1]
    assert final.done and final.eval_duration and final.prompt_eval_duration is not None
    assert all(not p.done for p in parts[:-1])


def test_chat_streamed_equals_non_streamed_and_multi_turn(
    client: ollama.Client, gemma: str
) -> None:
    messages = [{"role": "user", "content": "What is 2 plus 2? Answer with one number."}]
    whole = client.chat(model=gemma, messages=messages, options=GREEDY)
    assert whole.message.role == "assistant" and whole.message.content.strip()
    streamed = "".join(
        p.message.content
        for p in client.chat(model=gemma, messages=messages, options=GREEDY, stream=True)
    )
    assert streamed == whole.message.content
    follow = [
        *messages,
        {"role": "assistant", "content": whole.message.content},
        {"role": "user", "content": "And plus 3 more?"},
    ]
    second = client.chat(model=gemma, messages=follow, options=GREEDY)
    assert second.message.content.strip()
    assert (second.prompt_eval_count or 0) > (whole.prompt_eval_count or 0)


def test_rendered_prompt_uses_gemma_template(server: RunningServer, gemma: str) -> None:
    answer = httpx.post(
        f"{server.url}/api/chat",
        json={
            "model": gemma,
            "stream": False,
            "_debug_render_only": True,
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Hi"},
            ],
        },
    ).json()
    assert answer["_debug_info"]["rendered_template"] == (
        "<start_of_turn>user\nBe brief.\n\nHi<end_of_turn>\n<start_of_turn>model\n"
    )


def test_embed_normalised_and_dimensions(client: ollama.Client, gemma: str) -> None:
    result = client.embed(model=gemma, input=["hello world", "goodbye"])
    assert len(result.embeddings) == 2
    for vector in result.embeddings:
        assert math.isclose(math.sqrt(sum(x * x for x in vector)), 1.0, rel_tol=1e-4)
    assert result.prompt_eval_count and result.prompt_eval_count >= 3
    short = client.embed(model=gemma, input="hello world", dimensions=8)
    assert len(short.embeddings[0]) == 8
    assert math.isclose(sum(x * x for x in short.embeddings[0]), 1.0, rel_tol=1e-4)
    legacy = client.embeddings(model=gemma, prompt="hello world")
    assert len(legacy.embedding) == len(result.embeddings[0])
    assert client.embed(model=gemma, input=[]).embeddings == []


def test_ps_load_and_unload(client: ollama.Client, gemma: str, server: RunningServer) -> None:
    loaded = httpx.post(f"{server.url}/api/generate", json={"model": gemma}).json()
    assert loaded["done_reason"] == "load" and loaded["done"] is True
    running = client.ps().models
    assert [m.model for m in running] == [gemma]
    entry = running[0]
    assert entry.size and entry.size_vram == 0 and entry.context_length
    assert entry.details and entry.details.family == "gemma3"
    unloaded = httpx.post(
        f"{server.url}/api/generate", json={"model": gemma, "keep_alive": 0}
    ).json()
    assert unloaded["done_reason"] == "unload"
    for _ in range(100):
        if not client.ps().models:
            break
        time.sleep(0.1)
    assert client.ps().models == []
    chat_load = httpx.post(
        f"{server.url}/api/chat", json={"model": gemma, "messages": [], "stream": False}
    ).json()
    assert chat_load["done_reason"] == "load"
    assert chat_load["message"] == {"role": "assistant", "content": ""}


def test_keep_alive_expiry(client: ollama.Client, gemma: str) -> None:
    client.generate(model=gemma, prompt="Hi", options=GREEDY, keep_alive="1s")
    deadline = time.monotonic() + 30
    while client.ps().models and time.monotonic() < deadline:
        time.sleep(0.2)
    assert client.ps().models == []


def test_errors(server: RunningServer, client: ollama.Client, gemma: str) -> None:
    with pytest.raises(ollama.ResponseError) as missing:
        client.generate(model="nope", prompt="x")
    assert (missing.value.status_code, missing.value.error) == (404, "model 'nope' not found")
    with pytest.raises(ollama.ResponseError) as missing_chat:
        client.chat(model="nope", messages=[{"role": "user", "content": "x"}])
    assert missing_chat.value.status_code == 404
    with pytest.raises(ollama.ResponseError) as missing_embed:
        client.embed(model="nope", input="x")
    assert missing_embed.value.error == 'model "nope" not found, try pulling it first'
    bad_keep = httpx.post(
        f"{server.url}/api/generate", json={"model": gemma, "prompt": "x", "keep_alive": "300"}
    )
    assert bad_keep.status_code == 400
    assert bad_keep.json()["error"] == 'time: missing unit in duration "300"'
    raw = httpx.post(
        f"{server.url}/api/generate",
        json={"model": gemma, "prompt": "x", "raw": True, "system": "s"},
    )
    assert raw.json()["error"] == "raw mode does not support template, system, or context"
    images = httpx.post(
        f"{server.url}/api/generate", json={"model": gemma, "prompt": "x", "images": ["aGVsbG8="]}
    )
    assert images.status_code == 400 and "does not support vision" in images.json()["error"]
    think = httpx.post(
        f"{server.url}/api/chat",
        json={"model": gemma, "think": True, "messages": [{"role": "user", "content": "x"}]},
    )
    assert think.json()["error"] == f'"{gemma}" does not support thinking'
    typed = httpx.post(
        f"{server.url}/api/generate",
        json={"model": gemma, "prompt": "x", "options": {"num_ctx": "big"}},
    )
    assert typed.status_code == 500
    assert typed.json()["error"] == 'option "num_ctx" must be of type integer'


@pytest.fixture(scope="module")
def single_slot_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(
        tmp_path_factory.mktemp("single"), {"OLLAMA_NUM_PARALLEL": "1", "OLLAMA_MAX_QUEUE": "2"}
    )
    try:
        create_gemma(running.url)
        yield running
    finally:
        stop_server(running.process)


def test_full_queue_answers_503_while_others_succeed(single_slot_server: RunningServer) -> None:
    url = f"{single_slot_server.url}/api/generate"
    body = {
        "model": "gemma3:270m",
        "prompt": "Tell me a story.",
        "stream": False,
        "options": {"temperature": 0, "num_predict": 8},
    }
    # Greedy, raw, the model just keeps counting (no end-of-turn to sample): thousands of tokens.
    endless = {
        "model": "gemma3:270m",
        "prompt": "1, 2, 3, 4, 5, 6, 7, 8, 9, 10,",
        "raw": True,
        "options": {"num_predict": 100000, "temperature": 0},
    }
    httpx.post(url, json={"model": "gemma3:270m"}, timeout=120)  # load first
    results: list[httpx.Response] = []

    def send() -> None:
        results.append(httpx.post(url, json=body, timeout=300))

    # The only slot is held by a stream this test ends itself, so the queue (2) fills up and
    # exactly one of three more requests is refused, however fast the machine is.
    with httpx.stream("POST", url, json=endless, timeout=120) as holder:
        lines = holder.iter_lines()  # kept: a discarded iterator would close the stream
        assert json.loads(next(lines))["done"] is False
        threads = [threading.Thread(target=send) for _ in range(3)]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        while not results and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [r.status_code for r in results] == [503]  # the others wait for the slot
    for thread in threads:
        thread.join()
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 200, 503]
    busy = next(r for r in results if r.status_code == 503)
    assert busy.json()["error"] == (
        "server busy, please try again.  maximum pending requests exceeded"
    )
    assert busy.headers["retry-after"]
    assert all(r.json()["done"] for r in results if r.status_code == 200)


def test_disconnect_frees_the_slot(single_slot_server: RunningServer) -> None:
    url = f"{single_slot_server.url}/api/generate"
    endless = {
        "model": "gemma3:270m",
        "prompt": "Count from 1 to 100000, one per line.",
        "options": {"num_predict": 100000, "temperature": 0},
    }
    with httpx.stream("POST", url, json=endless, timeout=120) as response:
        lines = response.iter_lines()
        for _ in range(3):
            assert json.loads(next(lines))["done"] is False
    # The only slot must be free again: a short request completes well before the first one
    # could have finished its 100000 tokens.
    quick = httpx.post(
        url,
        json={
            "model": "gemma3:270m",
            "prompt": "Hi",
            "stream": False,
            "options": {"num_predict": 4},
        },
        timeout=180,
    )
    assert quick.status_code == 200 and quick.json()["done"]


COUNT = "Count from 1 to 100000, one per line."
V1_STREAMS = {
    "/v1/chat/completions": lambda n, prompt: {
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": n,
    },
    "/v1/responses": lambda n, prompt: {"input": prompt, "max_output_tokens": n},
    "/v1/messages": lambda n, prompt: {
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": n,
    },
}


@pytest.mark.parametrize("path", list(V1_STREAMS))
def test_v1_stream_disconnect_frees_the_slot(single_slot_server: RunningServer, path: str) -> None:
    url = f"{single_slot_server.url}{path}"
    request = V1_STREAMS[path]
    endless = {"model": "gemma3:270m", "temperature": 0, "stream": True, **request(100000, COUNT)}
    with httpx.stream("POST", url, json=endless, timeout=120) as response:
        assert response.status_code == 200
        events = (line for line in response.iter_lines() if line.startswith("data: "))
        for _ in range(3):
            assert json.loads(next(events).removeprefix("data: "))
    quick = httpx.post(url, json={"model": "gemma3:270m", **request(4, "Hi")}, timeout=180)
    assert quick.status_code == 200, quick.text


def test_oversized_load_is_refused_with_the_numbers(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    running = start_server(tmp_path_factory.mktemp("small"), {"POLLAMA_MEMORY_LIMIT": "100000000"})
    try:
        create_gemma(running.url)
        refused = httpx.post(
            f"{running.url}/api/generate",
            json={"model": "gemma3:270m", "prompt": "Hi", "stream": False},
            timeout=120,
        )
        assert refused.status_code == 500
        message = refused.json()["error"]
        assert message.startswith("model requires more system memory (")
        assert "100000000 available" in message
        assert httpx.get(running.url).text == "Ollama is running"  # the server stays up
        assert httpx.get(f"{running.url}/api/ps").json() == {"models": []}
    finally:
        stop_server(running.process)
