"""A model that fits only with fewer slots loads with fewer slots (and says so); one that fits in
no allowed way is refused with the numbers and the knobs. Real server, real gemma model."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import RunningServer, create_gemma, start_server, stop_server

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

# gemma3:270m needs ~684 MB with 4 slots x 4096 tokens, ~455 MB with one slot.
LIMIT = 500_000_000


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("tight"), {"POLLAMA_MEMORY_LIMIT": str(LIMIT)})
    try:
        create_gemma(running.url)
        yield running
    finally:
        stop_server(running.process)


def generate(server: RunningServer, **options: int) -> httpx.Response:
    return httpx.post(
        f"{server.url}/api/generate",
        json={
            "model": "gemma3:270m",
            "prompt": "Hi",
            "stream": False,
            "options": {"num_predict": 2, **options},
        },
        timeout=180,
    )


def test_loads_with_fewer_slots_and_ps_shows_it(tight_server: RunningServer) -> None:
    answer = generate(tight_server)
    assert answer.status_code == 200, answer.text
    (loaded,) = httpx.get(f"{tight_server.url}/api/ps").json()["models"]
    assert (loaded["num_parallel"], loaded["context_length"]) == (1, 4096)
    assert 0 < loaded["size"] <= LIMIT
    log = tight_server.log.read_text()
    assert "does not fit in memory with 4 parallel slots of 4096 tokens" in log
    assert "loading it with 1 parallel slot of 4096 tokens" in log
    again = generate(tight_server)  # served by the same runner: no reload
    assert again.status_code == 200 and again.json()["load_duration"] < 10**8


def test_an_explicit_context_is_not_cut_and_the_refusal_names_the_knobs(
    tight_server: RunningServer,
) -> None:
    # Above gemma's trained 32768 tokens: clamped (and logged), and 32768 x 1 does not fit.
    refused = generate(tight_server, num_ctx=100_000)
    assert refused.status_code == 500
    message = refused.json()["error"]
    assert message.startswith("model requires more system memory (")
    assert f"{LIMIT} available" in message
    assert "with 1 parallel slot of 32768 tokens" in message
    assert message.endswith("lower num_ctx or OLLAMA_NUM_PARALLEL")
    log = tight_server.log.read_text()
    assert "requested context size too large for model num_ctx=100000 n_ctx_train=32768" in log
    assert httpx.get(f"{tight_server.url}/api/ps").json() == {"models": []}
    assert generate(tight_server).status_code == 200  # the default still loads
