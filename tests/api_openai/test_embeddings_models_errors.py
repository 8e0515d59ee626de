"""Embeddings encoding, the models list and the error envelope of `/v1`."""

from __future__ import annotations

import base64
import struct
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pollama.api.openai.embeddings import (
    base64_floats,
    embed_input,
    embedding_list,
    encoding_of,
)
from pollama.api.openai.errors import envelope
from pollama.api.openai.models import model_list
from pollama.errors import BadRequest
from pollama.server.app import create_app
from pollama.serving.embed_answer import EmbedAnswer, EmbedMetrics
from pollama.settings import Settings


def test_embed_input() -> None:
    assert embed_input("") == [""]
    assert embed_input("a") == "a" and embed_input(["a", "b"]) == ["a", "b"]
    bad: object
    for bad in (None, []):
        with pytest.raises(BadRequest, match=r"^invalid input$"):
            embed_input(bad)


def test_encoding_format() -> None:
    assert encoding_of(None) == "float" and encoding_of("base64") == "base64"
    with pytest.raises(BadRequest) as caught:
        encoding_of("int8")
    assert caught.value.message == (
        "Invalid value for 'encoding_format' = int8. Supported values: ['float', 'base64']."
    )


def test_base64_is_little_endian_float32() -> None:
    vector = [0.5, -0.25, 1.0]
    raw = base64.b64decode(base64_floats(vector))
    assert struct.unpack("<3f", raw) == tuple(vector)


def test_embedding_list() -> None:
    native = EmbedAnswer("m", [[1.0, 0.0], [0.0, 1.0]], EmbedMetrics(1, 1, prompt_eval_count=4))
    answer = embedding_list(native, "float")
    assert answer == {
        "object": "list",
        "data": [
            {"object": "embedding", "embedding": [1.0, 0.0], "index": 0},
            {"object": "embedding", "embedding": [0.0, 1.0], "index": 1},
        ],
        "model": "m",
        "usage": {"prompt_tokens": 4, "total_tokens": 4},
    }
    assert isinstance(embedding_list(native, "base64")["data"][1]["embedding"], str)


def test_envelope_types() -> None:
    assert envelope(400, "bad") == {
        "error": {"message": "bad", "type": "invalid_request_error", "param": None, "code": None}
    }
    assert envelope(404, "x")["error"]["type"] == "not_found_error"
    assert envelope(500, "x")["error"]["type"] == "api_error"
    assert envelope(503, "x")["error"]["type"] == "api_error"


def test_empty_model_list_is_null() -> None:
    assert model_list([]) == {"object": "list", "data": None}


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings.from_env({"HOME": str(tmp_path), "OLLAMA_MODELS": str(tmp_path / "m")})
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


def test_envelope_through_the_app(client: TestClient) -> None:
    answer = client.get("/v1/models")
    assert answer.status_code == 200 and answer.json() == {"object": "list", "data": None}

    answer = client.get("/v1/models/nothere", headers={"Authorization": "Bearer anything"})
    assert answer.status_code == 404
    assert answer.json() == envelope(404, "model 'nothere:latest' not found")

    answer = client.post("/v1/chat/completions", content=b"{not json")
    assert answer.status_code == 400
    assert answer.json()["error"]["type"] == "invalid_request_error"

    answer = client.post("/v1/chat/completions", json={"model": "m", "messages": "hi"})
    assert answer.status_code == 400
    assert "messages" in answer.json()["error"]["message"]

    answer = client.post("/v1/chat/completions", json={"model": "m", "messages": []})
    assert answer.json() == envelope(400, "[] is too short - 'messages'")

    answer = client.post("/v1/embeddings", json={"model": "m", "input": None})
    assert answer.json() == envelope(400, "invalid input")

    answer = client.post("/v1/completions", json={"model": "nothere", "prompt": "x"})
    assert answer.status_code == 404
    assert answer.json() == envelope(404, "model 'nothere' not found")


def test_native_errors_keep_their_shape(client: TestClient) -> None:
    answer = client.post("/api/chat", json={"model": "nothere", "messages": []})
    assert answer.status_code == 404
    assert answer.json() == {"error": "model 'nothere' not found"}
