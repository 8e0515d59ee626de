"""The checks `/api/generate` and `/api/chat` make before generating, in process: formats,
options, unknown and embedding-only models, and keep_alive 0."""

from __future__ import annotations

from typing import Any

import pytest

from tests.inprocess.conftest import InProcessServer

HELLO = [{"role": "user", "content": "hello"}]


def test_format_json_sends_a_grammar(inprocess: InProcessServer) -> None:
    inprocess.post("/api/chat", model="tiny", messages=HELLO, format="json", stream=False)
    grammar = inprocess.runner.requests[-1].grammar
    assert grammar is not None and "root ::=" in grammar
    inprocess.post("/api/chat", model="tiny", messages=HELLO, stream=False)
    assert inprocess.runner.requests[-1].grammar is None


@pytest.mark.parametrize(
    ("fmt", "error"),
    [
        ("yaml", 'invalid format: "yaml"; expected "json" or a valid JSON Schema object'),
        (
            {"type": "object", "properties": {"a": {"type": "string", "pattern": "x+"}}},
            'format: invalid JSON schema: Pattern must start with "^" and end with "$"',
        ),
    ],
)
def test_bad_formats_are_refused(inprocess: InProcessServer, fmt: Any, error: str) -> None:
    for path, extra in (("/api/chat", {"messages": HELLO}), ("/api/generate", {"prompt": "x"})):
        answer = inprocess.post(path, model="tiny", format=fmt, stream=False, **extra)
        assert (answer.status_code, answer.json()) == (400, {"error": error})


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"temperature": "hot"}, 'option "temperature" must be of type float32'),
        ({"stop": "x"}, 'option "stop" must be of type array'),
    ],
)
def test_options_of_the_wrong_type(
    inprocess: InProcessServer, options: dict[str, Any], error: str
) -> None:
    """As Ollama's scheduleRunner: modelOptions' error goes out as a 500 with Go's wording."""
    answer = inprocess.post("/api/chat", model="tiny", messages=HELLO, options=options)
    assert (answer.status_code, answer.json()) == (500, {"error": error})


def test_unknown_options_are_ignored(inprocess: InProcessServer) -> None:
    answer = inprocess.post(
        "/api/generate", model="tiny", prompt="x", options={"bogus": 1}, stream=False
    )
    assert answer.status_code == 200


def test_unknown_model_on_generate(inprocess: InProcessServer) -> None:
    answer = inprocess.post("/api/generate", model="nope", prompt="x")
    assert (answer.status_code, answer.json()) == (404, {"error": "model 'nope' not found"})


def test_an_embedding_model_does_not_generate(inprocess: InProcessServer) -> None:
    inprocess.create("emb", embedding=True)
    generate = inprocess.post("/api/generate", model="emb", prompt="a")
    assert (generate.status_code, generate.json()) == (
        400,
        {"error": '"emb" does not support generate'},
    )
    chat = inprocess.post("/api/chat", model="emb", messages=HELLO)
    assert (chat.status_code, chat.json()) == (400, {"error": '"emb" does not support chat'})


def test_keep_alive_zero_unloads_after_answering(inprocess: InProcessServer) -> None:
    inprocess.reply("ok")
    answer = inprocess.post("/api/generate", model="tiny", prompt="a", keep_alive=0, stream=False)
    assert answer.json()["response"] == "ok"
    assert inprocess.client.get("/api/ps").json() == {"models": []}
    assert inprocess.runner.closed
