"""Shared fixtures: a real `pollama serve` on a free port with its own store, torn down after.

Markers: a test that starts a real server or runner is `e2e` or `engine`, so that
`pytest -m "not e2e and not engine"` (`make test-fast`) runs only the fast ones. Modules mark
themselves with `pytestmark`; `pytest_collection_modifyitems` below also marks every test under
`tests/e2e/` and every test using the fixtures that start one (`server`, `gemma`, `runner`).
"""

from __future__ import annotations

import os
import signal
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

# Fixtures that start a real server or runner, and the markers their users get.
_REAL_FIXTURES = {"server": ("e2e",), "gemma": ("e2e", "engine"), "runner": ("engine",)}
_E2E_DIR = Path(__file__).parent / "e2e"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        wanted = set()
        if _E2E_DIR in Path(item.path).parents:
            wanted.add("e2e")
        for fixture in getattr(item, "fixturenames", ()):
            wanted.update(_REAL_FIXTURES.get(fixture, ()))
        for name in sorted(wanted - {mark.name for mark in item.iter_markers()}):
            item.add_marker(getattr(pytest.mark, name))


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    url: str
    host: str  # OLLAMA_HOST value clients use
    models: Path
    home: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes]
    log: Path

    def cli(
        self, *args: str, input: str | None = None, timeout: float = 120
    ) -> subprocess.CompletedProcess[str]:
        """Run the `pollama` CLI against this server."""
        return subprocess.run(
            [sys.executable, "-m", "pollama", *args],
            env=self.env,
            input=input,
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def server_env(root: Path, port: int, extra_env: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of a test server on `port`: its own HOME and store under `root`, none
    of the machine's OLLAMA_* settings."""
    home = root / "home"
    models = home / ".ollama" / "models"
    models.mkdir(parents=True)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("OLLAMA_")},
        "HOME": str(home),
        "OLLAMA_HOST": f"127.0.0.1:{port}",
        "OLLAMA_MODELS": str(models),
        "POLLAMA_LOG": str(root / "autostart.log"),
        **(extra_env or {}),
    }


def wait_until_serving(
    url: str,
    process: subprocess.Popen[bytes],
    timeout: float = 60,
    verify: ssl.SSLContext | bool = True,
) -> bool:
    """Whether the server at `url` answered before `timeout` (False once it exited)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(url, timeout=1, verify=verify).status_code == 200:
                return True
        except httpx.TransportError:
            time.sleep(0.1)
    return False


def start_server(
    root: Path,
    extra_env: dict[str, str] | None = None,
    scheme: str = "http",
    verify: ssl.SSLContext | bool = True,
    bind: str = "127.0.0.1",
) -> RunningServer:
    """`pollama serve` on a free port; `scheme="https"` (with `verify`) for a TLS server;
    `bind="0.0.0.0"` listens on every interface (clients still use loopback)."""
    port = free_port()
    env = server_env(root, port, {"OLLAMA_HOST": f"{bind}:{port}", **(extra_env or {})})
    home = Path(env["HOME"])
    log = root / "server.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pollama", "serve"],
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    models = Path(env["OLLAMA_MODELS"])
    url = f"{scheme}://127.0.0.1:{port}"
    if not wait_until_serving(url, process, verify=verify):
        stop_server(process)
        raise RuntimeError(f"server did not start:\n{log.read_text()}")
    return RunningServer(url, f"127.0.0.1:{port}", models, home, env, process, log)


def serve_in_foreground(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `pollama serve` to its end, for servers that must refuse to start."""
    return subprocess.run(
        [sys.executable, "-m", "pollama", "serve"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


def processes() -> Iterator[tuple[int, int, list[bytes]]]:
    """(pid, parent pid, command-line arguments) of every process /proc lets us read."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        yield int(entry.name), int(stat.rsplit(")", 1)[1].split()[1]), cmdline


def runner_pids(server: RunningServer) -> list[int]:
    """The runner processes the server started (its children running `pollama.runner`)."""
    return [
        pid
        for pid, parent, cmdline in processes()
        if parent == server.process.pid and b"pollama.runner" in cmdline
    ]


def stop_server(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and everything it started (runners live in its process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    try:
        os.killpg(process.pid, signal.SIGKILL)  # stragglers in the group
    except ProcessLookupError:
        pass


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp_path_factory.mktemp("server"))
    try:
        yield running
    finally:
        stop_server(running.process)


def create_gemma(
    url: str,
    name: str = "gemma3:270m",
    verify: ssl.SSLContext | bool = True,
    headers: dict[str, str] | None = None,
) -> str:
    """Create the default model in a running server from the shipped Modelfile's settings
    (`headers`, e.g. an API key, go with each request)."""
    import ollama

    from pollama import modelfile
    from pollama.default_model import modelfile_text
    from tests.fixtures.models import gemma_gguf_path

    gguf = gemma_gguf_path()
    plan = modelfile.parse(modelfile_text(gguf)).to_create_plan(gguf.parent)
    client = ollama.Client(host=url, verify=verify, headers=headers)
    digest = client.create_blob(gguf)
    client.create(
        model=name,
        files={gguf.name: digest},
        template=plan.template,
        parameters=plan.parameters,
        license=plan.licenses,
    )
    return name


@pytest.fixture(scope="session")
def gemma(server: RunningServer) -> str:
    """`gemma3:270m` created in the session server (the real model, loaded on first use)."""
    return create_gemma(server.url)
