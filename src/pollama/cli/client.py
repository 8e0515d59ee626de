"""The CLI's HTTP client: requests, NDJSON streams, errors, and starting a server when none runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx

from pollama.errors import PollamaError
from pollama.settings import Settings, client_host

START_TIMEOUT = 60.0


class ClientError(PollamaError):
    """A non-2xx answer or a connection failure, worded for the terminal."""


def _error_of(response: httpx.Response) -> ClientError:
    try:
        message = str(response.json().get("error") or response.text)
    except ValueError:
        message = response.text.strip() or response.reason_phrase
    return ClientError(message, response.status_code)


class Client:
    def __init__(self, base_url: str | None = None) -> None:
        self.base_url = base_url or client_host(os.environ)
        self.http = httpx.Client(base_url=self.base_url, timeout=None)

    def heartbeat(self) -> bool:
        try:
            self.http.head("/", timeout=2.0)
            return True
        except httpx.TransportError:
            return False

    def ensure_server(self, notify: Any = None) -> None:
        """Start `pollama serve` in the background when no server answers on a local address."""
        if self.heartbeat():
            return
        host = httpx.URL(self.base_url).host
        if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0", ""):
            raise ClientError("could not connect to ollama server, run 'pollama serve' to start it")
        log_path = Settings.from_env().server_log
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(log_path, "ab") as log:
            subprocess.Popen(
                [sys.executable, "-m", "pollama", "serve"],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        if notify is not None:
            notify(f"Started a pollama server in the background; its log is {log_path}")
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.heartbeat():
                return
            time.sleep(0.2)
        raise ClientError(f"the pollama server did not start; see its log at {log_path}")

    def request(self, method: str, path: str, body: Any = None, **kwargs: Any) -> httpx.Response:
        try:
            response = self.http.request(method, path, json=body, **kwargs)
        except httpx.TransportError as exc:
            raise ClientError(
                f"could not reach the pollama server at {self.base_url}: {exc}"
            ) from None
        if response.status_code >= 400:
            raise _error_of(response)
        return response

    def stream(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """POST and yield each NDJSON object; an `error` line raises."""
        try:
            with self.http.stream("POST", path, json={**body, "stream": True}) as response:
                if response.status_code >= 400:
                    response.read()
                    raise _error_of(response)
                for line in response.iter_lines():
                    if not line.strip():
                        continue
                    event = json.loads(line)
                    if "error" in event:
                        raise ClientError(str(event["error"]))
                    yield event
        except httpx.TransportError as exc:
            raise ClientError(f"lost the connection to the pollama server: {exc}") from None
