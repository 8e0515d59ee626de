"""The image's command, run for real: `pollama serve` exactly as ENTRYPOINT + CMD with the
image's ENV, the variables people pass with `docker run -e`, and the image's HEALTHCHECK.

Container paths are mapped into a temporary root (the image's /root is `<tmp>/root`), and the
port is a free one on all interfaces: the image's own 0.0.0.0:11434 may be taken here.
"""

from __future__ import annotations

import datetime
import itertools
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import ollama
import pytest

from tests.conftest import create_gemma, free_port, stop_server, wait_until_serving
from tests.deploy.dockerfile import Stage, command_of, parse_file

pytestmark = [pytest.mark.e2e, pytest.mark.engine]

REPO = Path(__file__).resolve().parents[2]
# what `docker run -e` sets on top of the image (NUM_PARALLEL not the default 4, so that it shows)
RUN_ENV = {"OLLAMA_KEEP_ALIVE": "-1", "OLLAMA_NUM_PARALLEL": "2", "OLLAMA_FLASH_ATTENTION": "1"}


@dataclass
class Container:
    """The image's command running on this machine, with container paths under `root`."""

    root: Path
    env: dict[str, str]
    url: str
    process: subprocess.Popen[bytes]
    log: Path
    image: Stage

    def inside(self, container_path: str) -> Path:
        return self.root / container_path.lstrip("/")

    def healthcheck(self) -> subprocess.CompletedProcess[str]:
        """The HEALTHCHECK's CMD, with `python` this interpreter and the script the one COPY
        puts at its path."""
        check = self.image.last("HEALTHCHECK")
        assert check is not None
        python, script = command_of(check.body.partition(" ")[2])
        copies = {i.body.split()[-1]: i.body.split()[0] for i in self.image.all("COPY")}
        assert python == "python"
        return subprocess.run(
            [sys.executable, str(REPO / copies[script])],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=60,
        )


def _container_env(image: Stage, root: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OLLAMA_", "POLLAMA_"))}
    for key, value in image.env().items():
        env[key] = str(root / value.lstrip("/")) if value.startswith("/root") else value
    assert env["OLLAMA_HOST"] == "0.0.0.0:11434"
    env["OLLAMA_HOST"] = f"0.0.0.0:{port}"
    env["HOME"] = str(root / "root")  # root's home in the image
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    return {**env, **RUN_ENV}


@pytest.fixture(scope="module")
def container(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Container]:
    image = parse_file(REPO / "Dockerfile")[-1]
    root = tmp_path_factory.mktemp("image")
    port = free_port()
    env = _container_env(image, root, port)
    # RUN mkdir -p /root/.ollama/models, as the image does
    Path(env["OLLAMA_MODELS"]).mkdir(parents=True)
    log = root / "container.log"
    with open(log, "wb") as out:
        process = subprocess.Popen(
            image.runtime_command(),
            env=env,
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_serving(url, process):
            raise RuntimeError(f"the image's command did not serve:\n{log.read_text()}")
        yield Container(root, env, url, process, log, image)
    finally:
        stop_server(process)


def _runner_command_lines(server_pid: int) -> list[list[str]]:
    """The command lines of the runners the server started (they share its process group)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == server_pid:
            continue
        try:
            if os.getpgid(int(entry.name)) != server_pid:
                continue
            words = (entry / "cmdline").read_bytes().split(b"\0")
        except (ProcessLookupError, FileNotFoundError, PermissionError):
            continue
        argv = [word.decode() for word in words if word]
        if "pollama.runner" in argv:
            found.append(argv)
    return found


def test_it_listens_on_all_interfaces(container: Container) -> None:
    port = container.env["OLLAMA_HOST"].rpartition(":")[2]
    assert f"Listening on 0.0.0.0:{port} (version " in container.log.read_text()


def test_the_healthcheck_passes_while_it_serves(container: Container) -> None:
    result = container.healthcheck()
    assert result.returncode == 0, result.stderr


def test_the_run_variables_take_effect(container: Container) -> None:
    help_text = subprocess.run(
        [*container.image.runtime_command(), "--help"],
        env=container.env,
        capture_output=True,
        text=True,
        timeout=60,
    ).stdout
    assert "(now: 2562047h47m16.854775807s)" in help_text  # OLLAMA_KEEP_ALIVE=-1: forever
    model = create_gemma(container.url)
    client = ollama.Client(host=container.url)
    client.generate(model=model, prompt="Hi", options={"num_predict": 2})
    (loaded,) = httpx.get(f"{container.url}/api/ps", timeout=30).json()["models"]
    expires = datetime.datetime.fromisoformat(loaded["expires_at"])
    assert expires.year > 2200  # kept loaded forever
    assert loaded["num_parallel"] == 2
    (runner,) = _runner_command_lines(container.process.pid)
    flags = dict(itertools.pairwise(runner))
    assert flags["--flash-attention"] == "on"
    assert flags["--num-parallel"] == "2"


def test_the_models_are_stored_where_ollama_models_says(container: Container) -> None:
    models = container.inside("/root/.ollama/models")
    assert Path(container.env["OLLAMA_MODELS"]) == models
    create_gemma(container.url)
    assert list((models / "blobs").glob("sha256-*"))
    assert (models / "manifests" / "registry.ollama.ai" / "library" / "gemma3" / "270m").is_file()


def test_the_healthcheck_fails_once_the_server_is_gone(container: Container) -> None:
    stop_server(container.process)
    result = container.healthcheck()
    assert result.returncode == 1
    port = container.env["OLLAMA_HOST"].rpartition(":")[2]
    assert result.stderr.startswith(f"unhealthy: http://127.0.0.1:{port}/: ")
