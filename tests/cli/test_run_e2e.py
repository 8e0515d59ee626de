"""`run`, `ps` and `stop` through the real CLI, a real server and the real gemma model."""

from __future__ import annotations

import os
import pty
import re
import select
import subprocess
import sys
import time
from importlib.resources import files

import ollama
import pytest

from tests.conftest import RunningServer
from tests.fixtures.models import gemma_gguf_path

pytestmark = pytest.mark.e2e

MODEL = "gemma3:270m"
STAT_LINE = re.compile(r"^([a-z ]+):( +)(\S.*)$")


def gemma_template() -> str:
    """Gemma's chat template, from the Modelfile pollama ships for its default model."""
    modelfile = files("pollama").joinpath("data/gemma3.Modelfile").read_text(encoding="utf-8")
    match = re.search(r'^TEMPLATE """(.*?)"""', modelfile, re.DOTALL | re.MULTILINE)
    assert match
    return match[1]


@pytest.fixture(scope="module")
def model(server: RunningServer) -> str:
    client = ollama.Client(host=server.url)
    digest = client.create_blob(gemma_gguf_path())
    client.create(
        model=MODEL,
        files={"gemma-3-270m-q4_k_m.gguf": digest},
        template=gemma_template(),
        parameters={"temperature": 0, "num_predict": 16, "stop": ["<end_of_turn>"]},
    )
    return MODEL


def test_run_one_shot(server: RunningServer, model: str) -> None:
    result = server.cli("run", model, "Name", "a", "colour.")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n\n")
    assert result.stdout.strip()
    assert result.stderr == ""


def test_run_piped_stdin(server: RunningServer, model: str) -> None:
    result = server.cli("run", model, "Answer with one word.", input="Is the sky blue?")
    assert result.returncode == 0, result.stderr
    assert result.stdout.endswith("\n\n")
    assert result.stdout.strip()


def test_run_verbose_statistics(server: RunningServer, model: str) -> None:
    result = server.cli("run", model, "--verbose", "Count to three.")
    assert result.returncode == 0, result.stderr
    stats = {}
    for line in result.stderr.splitlines():
        match = STAT_LINE.match(line)
        assert match, f"unexpected stderr line {line!r}"
        assert len(match[1]) + 1 + len(match[2]) == 22, line  # values start at column 23
        stats[match[1]] = match[3]
    assert {
        "total duration",
        "prompt eval count",
        "prompt eval duration",
        "prompt eval rate",
        "eval count",
        "eval duration",
        "eval rate",
    } <= set(stats)
    assert re.fullmatch(r"\d+ token\(s\)", stats["eval count"])
    assert int(stats["eval count"].split()[0]) <= 16
    assert re.fullmatch(r"\d+\.\d\d tokens/s", stats["eval rate"])
    assert re.fullmatch(r"[\d.]+(ns|µs|ms|s)|\d+m[\d.]+s", stats["total duration"])


def test_unknown_model_is_an_error(server: RunningServer, model: str) -> None:
    # A missing model is pulled first; the test machine reaches no registry, so that fails.
    result = server.cli("run", "no-such-model", "hi", timeout=60)
    assert result.returncode == 1
    assert result.stderr.splitlines()[-1].startswith("Error: ")
    assert result.stdout == ""


def test_ps_stop_ps(server: RunningServer, model: str) -> None:
    loaded = server.cli("run", model, "--keepalive", "10m", "Hi")
    assert loaded.returncode == 0, loaded.stderr
    listed = server.cli("ps")
    assert listed.returncode == 0, listed.stderr
    header, *rows = listed.stdout.splitlines()
    assert header.split() == ["NAME", "ID", "SIZE", "PROCESSOR", "CONTEXT", "UNTIL"]
    row = next(r for r in rows if r.startswith(model))
    columns = re.split(r" {4,}", row.strip())
    assert columns[3] in ("100% CPU", "100% GPU") or columns[3].endswith("CPU/GPU")
    assert columns[4].isdigit()
    assert columns[5] in ("9 minutes from now", "10 minutes from now")
    assert re.fullmatch(r"[0-9a-f]{12}", columns[1])

    stopped = server.cli("stop", model)
    assert (stopped.returncode, stopped.stdout, stopped.stderr) == (0, "", "")
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        rows = server.cli("ps").stdout.splitlines()[1:]
        if not rows:
            break
        time.sleep(0.5)
    assert rows == []

    missing = server.cli("stop", "no-such-model")
    assert missing.returncode == 1
    assert missing.stderr.strip() == 'Error: couldn\'t find model "no-such-model" to stop'


def _read_until(fd: int, marker: bytes, timeout: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise AssertionError(f"timed out waiting for {marker!r}; got {seen!r}")
        ready, _, _ = select.select([fd], [], [], remaining)
        if ready:
            try:
                chunk = os.read(fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    return seen


def test_interactive_session_on_a_terminal(server: RunningServer, model: str) -> None:
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "pollama", "run", model, "--verbose"],
        env={**server.env, "TERM": "dumb", "COLUMNS": "100", "OLLAMA_NOHISTORY": "1"},
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        start_new_session=True,
    )
    os.close(terminal)
    try:
        _read_until(controller, b">>> ", 120)
        os.write(controller, b"/set parameter num_predict 8\n")
        assert b"Set parameter 'num_predict' to '8'" in _read_until(controller, b">>> ", 30)
        os.write(controller, b"Hello!\n")
        answer = _read_until(controller, b">>> ", 120)
        assert b"eval count:" in answer
        os.write(controller, b"/bye\n")
        assert process.wait(timeout=30) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
