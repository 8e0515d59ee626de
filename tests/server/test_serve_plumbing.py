"""What `serve` puts around the app: the gin request line, the bound socket, the pid file,
the body limit (unit tests; tests/e2e/test_serve_operations.py drives a real server)."""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from pollama.errors import PollamaError
from pollama.server.app import create_app
from pollama.server.listen import ListenError, bind
from pollama.server.middleware import BodyLimitMiddleware
from pollama.server.pidfile import pid_file, pid_path, read_pid, stop_server
from pollama.server.request_log import gin_line
from pollama.settings import Settings

WHEN = datetime(2024, 5, 1, 12, 0, 0)


@pytest.mark.parametrize(
    ("latency_ns", "text"),
    [
        (1_234_567, "   1.234567ms"),
        (850_000, "        850µs"),
        (3_500_000_000, "         3.5s"),
        (61_700_000_000, "         1m1s"),  # over a minute: whole seconds, as gin
    ],
)
def test_gin_line(latency_ns: int, text: str) -> None:
    line = gin_line(
        when=WHEN,
        status=200,
        latency_ns=latency_ns,
        client="127.0.0.1",
        method="POST",
        path="/api/generate",
    )
    assert line == (
        f'[GIN] 2024/05/01 - 12:00:00 | 200 | {text} |       127.0.0.1 | POST     "/api/generate"'
    )


def test_every_request_is_logged(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings.from_env({"HOME": str(tmp_path), "OLLAMA_MODELS": str(tmp_path / "m")})
    app = create_app(settings)
    with (
        caplog.at_level(logging.INFO, logger="pollama.requests"),
        TestClient(app, base_url="http://127.0.0.1") as client,
    ):
        client.get("/api/tags?x=1")
        client.post("/api/show", content=b"[")
        client.get("/api/version", headers={"Host": "evil.example"})
    lines = [r.getMessage() for r in caplog.records if r.name == "pollama.requests"]
    assert len(lines) == 3
    assert lines[0].startswith("[GIN] ") and lines[0].endswith('| GET      "/api/tags?x=1"')
    assert "| 400 |" in lines[1] and lines[1].endswith('| POST     "/api/show"')
    assert "| 403 |" in lines[2]  # refused by the Host guard, still logged


def test_bind_a_busy_port_is_ollamas_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ListenError) as caught:
            bind("127.0.0.1", port)
    assert caught.value.message == f"listen tcp 127.0.0.1:{port}: bind: address already in use"


def test_bind_returns_a_listening_socket() -> None:
    sock = bind("127.0.0.1", 0)
    with sock, socket.create_connection(sock.getsockname()[:2], timeout=5):
        pass


def test_pid_file_lives_while_the_server_does(tmp_path: Path) -> None:
    settings = Settings.from_env({"HOME": str(tmp_path), "OLLAMA_HOST": "127.0.0.1:4321"})
    path = pid_path(settings)
    assert path == tmp_path / ".ollama" / "serve-127.0.0.1-4321.pid"
    with pid_file(settings):
        assert read_pid(path) == os.getpid()
    assert not path.exists()


def test_stop_without_a_server(tmp_path: Path) -> None:
    settings = Settings.from_env({"HOME": str(tmp_path), "OLLAMA_HOST": "127.0.0.1:4321"})
    with pytest.raises(PollamaError, match="no pollama server is running on"):
        stop_server(settings)
    path = pid_path(settings)
    path.parent.mkdir(parents=True)
    path.write_text("999999999\n")  # stale: no such process
    with pytest.raises(PollamaError, match="no pollama server is running on"):
        stop_server(settings)
    assert not path.exists()


def test_an_oversized_body_is_refused_before_it_is_read() -> None:
    async def app(scope: Any, receive: Any, send: Any) -> None:
        raise AssertionError("the app must not run")

    async def receive() -> Any:
        raise AssertionError("the body must not be read")

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "path": "/api/chat",
        "query_string": b"",
        "headers": [(b"content-length", b"1000001"), (b"host", b"127.0.0.1")],
    }
    asyncio.run(BodyLimitMiddleware(app, limit=1_000_000)(scope, receive, send))
    assert sent[0]["status"] == 413
    assert (b"connection", b"close") in sent[0]["headers"]
    assert b"request body too large" in sent[1]["body"]


def test_blob_uploads_are_exempt_and_chunked_bodies_counted(tmp_path: Path) -> None:
    env = {"HOME": str(tmp_path), "OLLAMA_MODELS": str(tmp_path / "m")}
    settings = Settings.from_env({**env, "POLLAMA_MAX_REQUEST_SIZE": "1KiB"})
    with TestClient(create_app(settings), base_url="http://127.0.0.1") as client:
        big = b"x" * 4096
        answer = client.post("/api/blobs/sha256:" + "0" * 64, content=big)
        assert answer.status_code == 400  # a digest mismatch: the body was taken and hashed
        answer = client.post("/api/chat", content=iter([b'{"model":"', big, b'"}']))
        assert answer.status_code == 413
        assert "request body too large" in answer.json()["error"]
        answer = client.post("/v1/chat/completions", content=big)
        assert answer.status_code == 413
        assert "request body too large" in answer.json()["error"]["message"]  # OpenAI's shape
