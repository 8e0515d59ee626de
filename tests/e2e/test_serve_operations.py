"""Running `pollama serve` as an operator does: the request log, the pid file and `serve
--stop`, a busy port, slow or idle connections, oversized bodies."""

from __future__ import annotations

import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import RunningServer, create_gemma, free_port, start_server, stop_server

HEADER_TIMEOUT = 1.0
IDLE_TIMEOUT = 2.0
LIMIT = 1024 * 1024


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    env = {
        "OLLAMA_DEBUG": "1",
        "POLLAMA_HEADER_TIMEOUT": f"{HEADER_TIMEOUT}s",
        "POLLAMA_IDLE_TIMEOUT": f"{IDLE_TIMEOUT}s",
        "POLLAMA_MAX_REQUEST_SIZE": "1MiB",
    }
    running = start_server(tmp_path_factory.mktemp("debug-server"), env)
    try:
        yield running
    finally:
        stop_server(running.process)


def _wait_for(predicate: object, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.1)
    return False


def test_requests_and_the_rendered_prompt_are_logged(debug_server: RunningServer) -> None:
    model = create_gemma(debug_server.url)
    body = {
        "model": model,
        "messages": [{"role": "user", "content": "a marker for the log"}],
        "stream": False,
        "options": {"num_predict": 1},
    }
    answer = httpx.post(f"{debug_server.url}/api/chat", json=body, timeout=300)
    assert answer.status_code == 200
    gin = re.compile(
        r"^\[GIN\] \d{4}/\d\d/\d\d - \d\d:\d\d:\d\d \| 200 \| +[0-9.]+[µm]?s \| +127\.0\.0\.1 "
        r'\| POST {5}"/api/chat"$',
        re.MULTILINE,
    )
    assert _wait_for(lambda: gin.search(debug_server.log.read_text()))
    log = debug_server.log.read_text()
    assert re.search(r"DEBUG .*prompt=\"<start_of_turn>user\\na marker for the log", log)


def test_half_sent_and_idle_connections_are_closed(debug_server: RunningServer) -> None:
    port = int(debug_server.host.rpartition(":")[2])
    slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(20)]
    idle = socket.create_connection(("127.0.0.1", port))
    started = time.monotonic()
    try:
        for sock in slow:
            sock.sendall(b"POST /api/generate HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            sock.settimeout(HEADER_TIMEOUT + 10)
        assert httpx.get(f"{debug_server.url}/api/version", timeout=10).status_code == 200
        for sock in slow:
            assert sock.recv(100) == b""  # closed by the server
        assert time.monotonic() - started < HEADER_TIMEOUT + 5
        idle.settimeout(IDLE_TIMEOUT + 10)
        assert idle.recv(100) == b""
        assert time.monotonic() - started < IDLE_TIMEOUT + 5
    finally:
        for sock in [*slow, idle]:
            sock.close()


def test_a_body_over_the_limit_is_refused(debug_server: RunningServer) -> None:
    big = b'{"model":"m","prompt":"' + b"x" * (LIMIT + 1) + b'"}'
    answer = httpx.post(f"{debug_server.url}/api/generate", content=big, timeout=30)
    assert answer.status_code == 413
    assert answer.json()["error"].startswith("http: request body too large")

    def chunks() -> Iterator[bytes]:
        for _ in range(LIMIT // 65536 + 2):
            yield b"x" * 65536

    answer = httpx.post(f"{debug_server.url}/api/chat", content=chunks(), timeout=30)
    assert answer.status_code == 413
    assert httpx.get(f"{debug_server.url}/api/tags", timeout=10).status_code == 200


def test_a_busy_port_fails_as_ollama_does(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {"HOME": str(tmp_path), "OLLAMA_HOST": f"127.0.0.1:{port}", "PATH": "/usr/bin"}
        result = subprocess.run(
            [sys.executable, "-m", "pollama", "serve"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"Error: listen tcp 127.0.0.1:{port}: bind: address already in use" in result.stderr
    assert "Listening on" not in result.stderr + result.stdout
    assert not list((tmp_path / ".ollama").glob("serve-*.pid"))


def test_the_pid_file_names_the_server_and_serve_stop_stops_it(tmp_path: Path) -> None:
    running = start_server(tmp_path)
    try:
        port = running.host.rpartition(":")[2]
        pid_file = running.home / ".ollama" / f"serve-127.0.0.1-{port}.pid"
        assert pid_file.read_text().strip() == str(running.process.pid)
        other = {**running.env, "OLLAMA_HOST": f"127.0.0.1:{free_port()}"}
        refused = subprocess.run(
            [sys.executable, "-m", "pollama", "serve", "--stop"],
            env=other,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert refused.returncode == 1 and "no pollama server is running" in refused.stderr
        assert running.process.poll() is None  # another address's server is left alone
        stopped = running.cli("serve", "--stop", timeout=60)
        assert stopped.returncode == 0, stopped.stderr
        assert f"pid {running.process.pid}" in stopped.stdout
        assert running.process.wait(timeout=30) == 0
        assert not pid_file.exists()
    finally:
        stop_server(running.process)
