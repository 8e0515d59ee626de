"""`/api/embed`, `/api/embeddings` and `/v1/embeddings` in process: shapes, normalisation,
dimensions, truncation and empty input."""

from __future__ import annotations

import base64
import math
import struct

import pytest

from tests.inprocess.conftest import InProcessServer


@pytest.fixture
def emb(inprocess: InProcessServer) -> InProcessServer:
    inprocess.create("emb", embedding=True)
    return inprocess


def _norm(vector: list[float]) -> float:
    return math.sqrt(sum(x * x for x in vector))


def test_embed_one_and_many(emb: InProcessServer) -> None:
    one = emb.post("/api/embed", model="emb", input="hello world").json()
    assert set(one) == {
        "model",
        "embeddings",
        "total_duration",
        "load_duration",
        "prompt_eval_count",
    }
    assert one["model"] == "emb" and one["prompt_eval_count"] == 3  # BOS + two words
    [vector] = one["embeddings"]
    assert len(vector) == 8 and _norm(vector) == pytest.approx(1.0)
    many = emb.post("/api/embed", model="emb", input=["a", "b c"]).json()
    assert len(many["embeddings"]) == 2 and many["prompt_eval_count"] == 5
    assert emb.runner.embedded[-1] == ["a", "b c"]


def test_dimensions_cut_and_renormalise(emb: InProcessServer) -> None:
    full = emb.post("/api/embed", model="emb", input="a").json()["embeddings"][0]
    cut = emb.post("/api/embed", model="emb", input="a", dimensions=4).json()["embeddings"][0]
    assert len(cut) == 4 and _norm(cut) == pytest.approx(1.0)
    scale = _norm(full[:4])
    assert cut == pytest.approx([x / scale for x in full[:4]])
    wide = emb.post("/api/embed", model="emb", input="a", dimensions=100).json()
    assert len(wide["embeddings"][0]) == 8  # more than the model has: left as is


def test_empty_and_invalid_input(emb: InProcessServer) -> None:
    empties: tuple[list[str], str] = ([], "")
    for empty in empties:
        answer = emb.post("/api/embed", model="emb", input=empty)
        assert (answer.status_code, answer.json()) == (200, {"model": "emb", "embeddings": []})
    bad = emb.post("/api/embed", model="emb", input=5)
    assert (bad.status_code, bad.json()) == (400, {"error": "invalid input type"})
    missing = emb.post("/api/embed", model="nope", input="a")
    assert missing.status_code == 404
    assert missing.json() == {"error": 'model "nope" not found, try pulling it first'}


def test_input_over_the_context(emb: InProcessServer) -> None:
    long = "w " * 5000
    refused = emb.post("/api/embed", model="emb", input=[long], truncate=False)
    assert refused.status_code == 400
    assert refused.json() == {"error": "the input length exceeds the context length"}
    cut = emb.post("/api/embed", model="emb", input=[long]).json()
    assert cut["prompt_eval_count"] == 2047  # truncated to the 2048 context


def test_legacy_embeddings(emb: InProcessServer) -> None:
    answer = emb.post("/api/embeddings", model="emb", prompt="hello world").json()
    assert list(answer) == ["embedding"] and len(answer["embedding"]) == 8
    assert _norm(answer["embedding"]) != pytest.approx(1.0)  # not normalised, as Ollama's
    assert emb.post("/api/embeddings", model="emb", prompt="").json() == {"embedding": []}


def test_openai_embeddings(emb: InProcessServer) -> None:
    answer = emb.post("/v1/embeddings", model="emb", input=["a", "b"]).json()
    assert answer["object"] == "list" and answer["model"] == "emb"
    assert [(d["object"], d["index"]) for d in answer["data"]] == [
        ("embedding", 0),
        ("embedding", 1),
    ]
    assert answer["usage"] == {"prompt_tokens": 4, "total_tokens": 4}
    floats = answer["data"][0]["embedding"]
    packed = emb.post("/v1/embeddings", model="emb", input="a", encoding_format="base64").json()
    raw = base64.b64decode(packed["data"][0]["embedding"])
    assert list(struct.unpack(f"<{len(raw) // 4}f", raw)) == pytest.approx(floats, rel=1e-6)
    empty = emb.post("/v1/embeddings", model="emb", input=[])
    assert empty.status_code == 400
    assert empty.json() == {
        "error": {
            "message": "invalid input",
            "type": "invalid_request_error",
            "param": None,
            "code": None,
        }
    }
