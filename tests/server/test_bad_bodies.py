"""Malformed request bodies: every one is a JSON 400 (never a plain 500), and the connection
that carried it stays usable."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from pollama.errors import BadRequest
from pollama.server.app import create_app
from pollama.server.http import MAX_DEPTH, dumps, parse_json
from pollama.server.middleware import ErrorBoundary
from pollama.settings import Settings
from tests.conftest import RunningServer

DEEP = b"[" * 5000
HUGE_INTEGER = b"9" * 400


@pytest.fixture
def client(tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings.from_env({"HOME": str(tmp_path), "OLLAMA_MODELS": str(tmp_path / "m")})
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as test_client:
        yield test_client


def _error(answer: object) -> str:
    assert answer.headers["content-type"].startswith("application/json")
    return str(answer.json()["error"])


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (DEEP, "invalid JSON: exceeded max depth"),
        (b'{"model":' + b"[" * 900 + b"]" * 900 + b"}", "invalid JSON: exceeded max depth"),
        (b'{"model":"m","options":{"temperature":NaN}}', "invalid character 'N'"),
        (b'{"model":"m","options":{"top_p":-Infinity}}', "invalid character '-'"),
        (b'{"model":"m","options":{"temperature":' + HUGE_INTEGER + b"}}", "cannot unmarshal"),
        (b'{"model":"m","options":{"temperature":1e400}}', "cannot unmarshal number 1e400"),
        (b'{"model":"m","options":{"seed":' + b"9" * 5000 + b"}}", "cannot unmarshal"),
        (b'{"model":"m","context":[99999999999999999999]}', "GenerateRequest.context of type int"),
        (b'{"model":"m","top_logprobs":-99999999999999999999}', "of type int"),
    ],
)
def test_malformed_bodies_are_json_400s(client: TestClient, body: bytes, message: str) -> None:
    answer = client.post("/api/generate", content=body)
    assert answer.status_code == 400
    assert message in _error(answer)


def test_a_lone_surrogate_in_a_name_is_an_ordinary_not_found(client: TestClient) -> None:
    answer = client.post("/api/show", content=b'{"model":"\\ud800"}')
    assert answer.status_code == 404
    assert _error(answer) == "model '\ufffd:latest' not found"  # U+FFFD, as Go decodes it
    answer = client.request("DELETE", "/api/delete", content=b'{"model":"a\\udc00b"}')
    assert answer.status_code == 400 and _error(answer) == 'name "a\ufffdb" is invalid'
    answer = client.post("/api/copy", content=b'{"source":"\\ud800","destination":"b"}')
    assert answer.status_code == 400 and _error(answer) == 'source "\ufffd" is invalid'
    answer = client.post("/api/pull", content=b'{"model":"\\ud800/\\ud800","stream":false}')
    assert answer.status_code == 400 and _error(answer) == "invalid model name"


def test_deep_nesting_in_openai_tool_arguments_is_a_400(client: TestClient) -> None:
    body = {
        "model": "m",
        "messages": [
            {
                "role": "assistant",
                "tool_calls": [{"id": "a", "function": {"name": "f", "arguments": "[" * 3000}}],
            }
        ],
    }
    answer = client.post("/v1/chat/completions", json=body)
    assert answer.status_code == 400


def test_parse_json_follows_go() -> None:
    assert parse_json(b'"\\ud83d\\ude00 \\ud800"') == "\U0001f600 \ufffd"  # pairs stay whole
    assert parse_json(b'{"k\\udfff":["\\ud800",{"x":"\\udbff"}]}') == {
        "k\ufffd": ["\ufffd", {"x": "\ufffd"}]
    }
    assert parse_json(b'"\xff"') == "\ufffd"  # invalid UTF-8 too
    assert parse_json(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH) is not None
    with pytest.raises(BadRequest, match="exceeded max depth"):
        parse_json(b"[" * (MAX_DEPTH + 2) + b"]" * (MAX_DEPTH + 2))
    assert parse_json(b"[1e308, -12345678901234567890]") == [1e308, -12345678901234567890]


def test_dumps_never_fails_on_a_surrogate() -> None:
    assert json.loads(dumps({"error": "model '\ud800' not found"})) == {
        "error": "model '\ufffd' not found"
    }


def test_an_unexpected_exception_is_a_json_500() -> None:
    app = FastAPI()

    @app.get("/boom")
    async def boom() -> None:
        raise RuntimeError("kaput")

    app.add_middleware(ErrorBoundary)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        answer = test_client.get("/boom")
    assert answer.status_code == 500
    assert answer.json() == {"error": "internal server error: kaput"}


def test_the_connection_survives_a_bad_body(server: RunningServer) -> None:
    """Real server, one keep-alive connection: the bad body, then a good request on it."""
    address = urlsplit(server.url)
    connection = http.client.HTTPConnection(address.hostname or "", address.port, timeout=30)
    try:
        for body in (DEEP, b'{"model":"m","options":{"temperature":' + HUGE_INTEGER + b"}}"):
            connection.request("POST", "/api/chat", body=body)
            first_socket = connection.sock
            answer = connection.getresponse()
            assert answer.status == 400
            assert "error" in json.loads(answer.read())
            assert answer.getheader("connection") != "close"
            connection.request("GET", "/api/tags")
            assert connection.sock is first_socket  # not reconnected
            again = connection.getresponse()
            assert again.status == 200
            again.read()
    finally:
        connection.close()


def test_a_negative_batch_is_a_400(server: RunningServer, gemma: str) -> None:
    import httpx

    body = {"model": gemma, "prompt": "hi", "options": {"num_batch": -5}, "stream": False}
    answer = httpx.post(f"{server.url}/api/generate", json=body, timeout=120)
    assert answer.status_code == 400
    assert answer.json() == {"error": 'option "num_batch" must not be negative'}
