"""Inputs longer than the context: Ollama's 400s where nothing can be cut, and the request
alone fails (the next one is served)."""

from __future__ import annotations

import httpx

from tests.conftest import RunningServer

LONG = "word " * 5000  # more tokens than the default 4096 context
PROMPT_TOO_LONG = "the prompt is longer than the context length currently available"


def _post(server: RunningServer, path: str, body: dict[str, object]) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=120)


def test_chat_and_generate_without_shift_are_refused(server: RunningServer, gemma: str) -> None:
    chat = _post(
        server,
        "/api/chat",
        {
            "model": gemma,
            "messages": [{"role": "user", "content": LONG}],
            "stream": False,
            "shift": False,
        },
    )
    assert chat.status_code == 400 and chat.json()["error"].startswith(PROMPT_TOO_LONG)
    generate = _post(
        server, "/api/generate", {"model": gemma, "prompt": LONG, "stream": False, "shift": False}
    )
    assert generate.status_code == 400
    assert generate.json()["error"].startswith(PROMPT_TOO_LONG)
    fine = _post(
        server,
        "/api/generate",
        {"model": gemma, "prompt": "Hi", "stream": False, "options": {"num_predict": 2}},
    )
    assert fine.status_code == 200 and fine.json()["done"]


def test_embed_input_over_the_context_without_truncation(server: RunningServer, gemma: str) -> None:
    refused = _post(server, "/api/embed", {"model": gemma, "input": [LONG], "truncate": False})
    assert refused.status_code == 400
    assert refused.json() == {"error": "the input length exceeds the context length"}
    fine = _post(server, "/api/embed", {"model": gemma, "input": ["short"], "truncate": False})
    assert fine.status_code == 200 and len(fine.json()["embeddings"]) == 1


def test_count_tokens_counts_past_the_context(server: RunningServer, gemma: str) -> None:
    counted = _post(
        server,
        "/v1/messages/count_tokens",
        {"model": gemma, "messages": [{"role": "user", "content": LONG}]},
    )
    assert counted.status_code == 200
    assert counted.json()["input_tokens"] > 5000
