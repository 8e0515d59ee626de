"""The CLI's HTTP client: requests, NDJSON streams, errors, and starting a server when none runs."""

from __future__ import annotations

import json
import os
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import certifi
import httpx

from pollama.errors import PollamaError
from pollama.settings import Settings, client_api_key, client_host

START_TIMEOUT = 60.0


class ClientError(PollamaError):
    """A non-2xx answer or a connection failure, worded for the terminal."""


def _error_of(response: httpx.Response) -> ClientError:
    try:
        message = str(response.json().get("error") or response.text)
    except ValueError:
        message = response.text.strip() or response.reason_phrase
        if response.status_code == 403:  # the Host/Origin guard's bare refusal: no key involved
            return ClientError(message, 403)
    return ClientError(message + _key_hint(response.status_code), response.status_code)


def _key_hint(status: int) -> str:
    """What to do about an API-key refusal (401, 403); nothing for other statuses."""
    if status == 403:
        return " (the key in OLLAMA_API_KEY lacks this scope: see `pollama keys list`)"
    if status != 401:
        return ""
    if client_api_key(os.environ):
        return " (the server does not accept the key in OLLAMA_API_KEY)"
    return " (the server needs an API key: set OLLAMA_API_KEY to one from `pollama keys create`)"


def trust_context() -> ssl.SSLContext:
    """The CAs an https:// OLLAMA_HOST is verified against, as Go's crypto/x509 does for
    Ollama's CLI: the system's store, and the file or directory in SSL_CERT_FILE / SSL_CERT_DIR
    (OpenSSL's default paths read both); plus certifi's bundle, httpx's default, for machines
    without a system store."""
    context = ssl.create_default_context()
    context.load_verify_locations(cafile=certifi.where())
    return context


class Client:
    def __init__(self, base_url: str | None = None, api_key: str | None = None) -> None:
        self.base_url = base_url or client_host(os.environ)
        key = client_api_key(os.environ) if api_key is None else api_key
        headers = {"Authorization": f"Bearer {key}"} if key else {}
        self.http = httpx.Client(
            base_url=self.base_url, timeout=None, verify=trust_context(), headers=headers
        )

    def _unreachable(self) -> str | None:
        """Why the server does not answer a heartbeat, or None when it does."""
        try:
            self.http.head("/", timeout=2.0)
            return None
        except httpx.TransportError as exc:
            return str(exc) or type(exc).__name__

    def heartbeat(self) -> bool:
        return self._unreachable() is None

    def ensure_server(self, notify: Any = None) -> None:
        """Start `pollama serve` in the background when no server answers on a local address.
        Never for https://: the server started here would speak plain HTTP."""
        failure = self._unreachable()
        if failure is None:
            return
        url = httpx.URL(self.base_url)
        if url.scheme == "https":
            hint = ""
            if "CERTIFICATE_VERIFY_FAILED" in failure:
                hint = " (set SSL_CERT_FILE to the CA certificate that signed the server's)"
            raise ClientError(
                f"could not connect to the pollama server at {self.base_url}: {failure}{hint}"
            )
        host = url.host
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
