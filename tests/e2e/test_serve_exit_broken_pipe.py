"""`OLLAMA_DEBUG=1 pollama serve 2>&1 | tee log`, Ctrl-C with a model loaded: the pipe's
reader is gone, echoing the runner's stderr fails, and the server must still exit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import httpx
import pytest

from tests.conftest import create_gemma, free_port, server_env, stop_server, wait_until_serving


def _drain(pipe: IO[bytes], stop: threading.Event) -> None:
    """Read the server's output (so it never blocks on a full pipe) until told to stop."""
    while not stop.is_set() and os.read(pipe.fileno(), 65536):
        pass


def test_serve_exits_on_ctrl_c_after_its_output_pipe_closed(tmp_path: Path) -> None:
    port = free_port()
    env = server_env(tmp_path, port, {"OLLAMA_DEBUG": "1"})
    process = subprocess.Popen(
        [sys.executable, "-m", "pollama", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group, as a terminal's job
    )
    assert process.stdout is not None
    stop = threading.Event()
    reader = threading.Thread(target=_drain, args=(process.stdout, stop), daemon=True)
    reader.start()
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_serving(url, process):
            pytest.fail("the server did not start")
        name = create_gemma(url)
        body = {"model": name, "prompt": "Hi", "stream": False, "options": {"num_predict": 2}}
        assert httpx.post(f"{url}/api/generate", json=body, timeout=120).status_code == 200
        stop.set()
        process.stdout.close()  # `tee` is gone: every write to the pipe fails from now on
        reader.join(5)
        # The loaded runner logs (debug) while it works: its echo hits the closed pipe.
        httpx.post(f"{url}/api/generate", json=body, timeout=120)
        os.killpg(process.pid, signal.SIGINT)  # Ctrl-C reaches the server and its runner
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            pytest.fail("the server did not exit after Ctrl-C")
    finally:
        stop.set()
        stop_server(process)
