"""`serve`'s pid file, so a user stops their own server and nobody else's.

While `pollama serve` listens on host:port it keeps `~/.ollama/serve-<host>-<port>.pid` (one
file per address, as several servers may run), holding its process id; the file is removed when
the server exits cleanly. `stop_server` (`pollama serve --stop`) reads it and sends SIGTERM, the
same as `kill $(cat ~/.ollama/serve-127.0.0.1-11434.pid)`.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pollama.errors import PollamaError
from pollama.settings import Settings


def pid_path(settings: Settings) -> Path:
    host = settings.host.bind_host.replace("/", "_")
    return settings.ollama_home / f"serve-{host}-{settings.host.bind_port}.pid"


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)


@contextmanager
def pid_file(settings: Settings) -> Iterator[Path]:
    """Hold the pid file while the body runs (the server's whole life)."""
    path = pid_path(settings)
    _write_atomically(path, f"{os.getpid()}\n")
    try:
        yield path
    finally:
        if read_pid(path) == os.getpid():  # a newer server on this address keeps its own
            path.unlink(missing_ok=True)


def read_pid(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process: alive, but not ours to signal
    try:  # an exited process its parent has not reaped yet still answers signal 0
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return True
    return not state or state[0] not in ("Z", "X")


def _is_pollama(pid: int) -> bool:
    """Whether pid still is a pollama server (a stale file may name a reused pid)."""
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc (macOS): trust the file
    return b"pollama" in command


def stop_server(settings: Settings, timeout: float = 30.0) -> int:
    """SIGTERM the server of this address and wait for it to exit; its pid is returned."""
    path = pid_path(settings)
    pid = read_pid(path)
    if pid is None or not _is_alive(pid) or not _is_pollama(pid):
        if pid is not None:
            path.unlink(missing_ok=True)  # stale: its server died without removing it
        raise PollamaError(f"no pollama server is running on {settings.host.url} ({path})")
    try:
        os.kill(pid, signal.SIGTERM)
    except PermissionError:
        raise PollamaError(f"cannot stop process {pid}: permission denied") from None
    deadline = time.monotonic() + timeout
    while _is_alive(pid):
        if time.monotonic() > deadline:
            raise PollamaError(f"pollama server (pid {pid}) did not exit within {timeout:g}s")
        time.sleep(0.05)
    return pid
