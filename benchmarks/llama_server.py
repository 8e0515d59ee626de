"""llama.cpp's own `llama-server`, built from the llama.cpp that llama-cpp-python vendors.

The pinned llama-cpp-python sdist is fetched with pip, its vendored llama.cpp is built once
with the settings llama-cpp-python's own build uses (Release, shared libraries, common library
on, curl off, ggml's native CPU default) and the binary is kept in a cache:
`~/.cache/pollama-bench/llama-server-<version>/` (`POLLAMA_BENCH_CACHE` overrides the root).

    .venv/bin/python benchmarks/llama_server.py build    # build (or find) and print the binary
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO

LLAMA_CPP_PYTHON_VERSION = "0.3.36"
# What llama-cpp-python's CMakeLists.txt sets before adding vendor/llama.cpp (plus the
# scikit-build default build type); the web UI is left out, it needs a download.
CMAKE_SETTINGS = {
    "CMAKE_BUILD_TYPE": "Release",
    "BUILD_SHARED_LIBS": "ON",
    "LLAMA_BUILD_COMMON": "ON",
    "LLAMA_CURL": "OFF",
    "LLAMA_BUILD_SERVER": "ON",
    "LLAMA_BUILD_TESTS": "OFF",
    "LLAMA_BUILD_EXAMPLES": "OFF",
    "LLAMA_BUILD_UI": "OFF",
    "LLAMA_USE_PREBUILT_UI": "OFF",
    "LLAMA_OPENSSL": "OFF",
}
TARGET = "llama-server"


class BuildSkipped(Exception):
    """The build tools are missing: the comparison is skipped (not an error)."""


def cache_root() -> Path:
    override = os.environ.get("POLLAMA_BENCH_CACHE")
    return Path(override) if override else Path.home() / ".cache" / "pollama-bench"


def build_home(version: str = LLAMA_CPP_PYTHON_VERSION) -> Path:
    return cache_root() / f"llama-server-{version}"


def binary_path(version: str = LLAMA_CPP_PYTHON_VERSION) -> Path:
    return build_home(version) / "build" / "bin" / TARGET


def missing_build_tools() -> list[str]:
    """Names of the tools a build needs that are not on PATH."""
    missing = []
    if shutil.which("cmake") is None:
        missing.append("cmake")
    if not any(shutil.which(c) for c in ("c++", "g++", "clang++")):
        missing.append("C++ compiler")
    if not any(shutil.which(t) for t in ("ninja", "make")):
        missing.append("make or ninja")
    return missing


def skip_message(missing: Sequence[str]) -> str:
    return f"skipped: no {', '.join(missing)} to build llama-server"


def fetch_sources(home: Path, version: str, log: IO[str]) -> Path:
    """The sdist's vendored llama.cpp, downloaded with pip and extracted under `home`."""
    source = home / "src" / f"llama_cpp_python-{version}" / "vendor" / "llama.cpp"
    if (source / "CMakeLists.txt").is_file():
        return source
    downloads = home / "sdist"
    downloads.mkdir(parents=True, exist_ok=True)
    archives = sorted(downloads.glob(f"llama_cpp_python-{version}.tar.gz"))
    if not archives:
        pip = [sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps"]
        command = [*pip, "--dest", str(downloads), f"llama-cpp-python=={version}"]
        subprocess.run(command, check=True, stdout=log, stderr=subprocess.STDOUT)
        archives = sorted(downloads.glob(f"llama_cpp_python-{version}.tar.gz"))
    if not archives:
        raise RuntimeError(f"pip download left no llama_cpp_python-{version}.tar.gz")
    unpacked = home / "src"
    shutil.rmtree(unpacked, ignore_errors=True)
    with tarfile.open(archives[0]) as archive:
        archive.extractall(unpacked, filter="data")
    if not (source / "CMakeLists.txt").is_file():
        raise RuntimeError(f"{archives[0].name}: no vendor/llama.cpp inside")
    return source


def build(version: str = LLAMA_CPP_PYTHON_VERSION, log: IO[str] = sys.stderr) -> Path:
    """The llama-server binary: built once (under a lock), then reused."""
    binary = binary_path(version)
    if binary.is_file():
        return binary
    missing = missing_build_tools()
    if missing:
        raise BuildSkipped(skip_message(missing))
    home = build_home(version)
    home.mkdir(parents=True, exist_ok=True)
    with (home / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be building it right now
        if binary.is_file():
            return binary
        source = fetch_sources(home, version, log)
        build_dir = home / "build"
        settings = [f"-D{key}={value}" for key, value in CMAKE_SETTINGS.items()]
        generator = ["-G", "Ninja"] if shutil.which("ninja") else []
        configure = ["cmake", "-S", str(source), "-B", str(build_dir), *generator, *settings]
        print(f"building {TARGET} from llama-cpp-python {version} (several minutes)", file=log)
        subprocess.run(configure, check=True, stdout=log, stderr=subprocess.STDOUT)
        jobs = str(len(os.sched_getaffinity(0)))
        compile_ = ["cmake", "--build", str(build_dir), "--target", TARGET, "-j", jobs]
        subprocess.run(compile_, check=True, stdout=log, stderr=subprocess.STDOUT)
    if not binary.is_file():
        raise RuntimeError(f"the build finished without {binary}")
    return binary


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class ServerConfig:
    """One llama-server launch: `slots` slots of `ctx_per_slot` tokens each."""

    model: Path
    slots: int = 4
    ctx_per_slot: int = 4096
    threads: int = 2
    extra_args: tuple[str, ...] = ()

    def arguments(self, port: int) -> list[str]:
        # --ctx-size is the total: llama-server splits it evenly over --parallel slots.
        return [
            "--model", str(self.model),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--parallel", str(self.slots),
            "--ctx-size", str(self.ctx_per_slot * self.slots),
            "--threads", str(self.threads),
            "--threads-batch", str(self.threads),
            "--cont-batching",
            "--no-warmup",
            *self.extra_args,
        ]  # fmt: skip


class LlamaServer:
    """A running llama-server on a free local port; `stop()` (or `with`) ends it."""

    def __init__(self, binary: Path, config: ServerConfig, log_path: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = log_path
        self._log = log_path.open("w")
        self.process = subprocess.Popen(
            [str(binary), *config.arguments(self.port)],
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 120) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"llama-server exited early; see {self.log_path}")
            with (
                contextlib.suppress(OSError),
                urllib.request.urlopen(f"{self.url}/health", timeout=2) as response,
            ):
                if response.status == 200:
                    return
            time.sleep(0.2)
        raise RuntimeError(f"llama-server not ready after {timeout:.0f} s; see {self.log_path}")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()

    def __enter__(self) -> LlamaServer:
        return self

    def __exit__(self, *_: object) -> None:
        self.stop()


@contextlib.contextmanager
def running(binary: Path, config: ServerConfig, log_path: Path) -> Iterator[LlamaServer]:
    server = LlamaServer(binary, config, log_path)
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def help_text(binary: Path) -> str:
    done = subprocess.run([str(binary), "--help"], capture_output=True, text=True, timeout=60)
    return done.stdout + done.stderr


def main(argv: Sequence[str]) -> int:
    if list(argv) != ["build"]:
        print("usage: llama_server.py build", file=sys.stderr)
        return 2
    try:
        print(build())
    except BuildSkipped as skipped:
        print(skipped)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
