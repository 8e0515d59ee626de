"""Errors of registry traffic, worded as Ollama words them
(server/images.go, makeRequestWithRetry and PullModel)."""

from __future__ import annotations

import errno
import re
import socket

import httpx

from pollama.errors import PollamaError

# Statuses worth another try: the registry or something in front of it is busy or broken now.
TRANSIENT_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})


class RegistryError(PollamaError):
    """A registry answered with an error status; `message` is `<code>: <body>` as in Ollama."""

    def __init__(self, status_code: int, body: str) -> None:
        super().__init__(f"{status_code}: {body.strip()}" if body.strip() else str(status_code))
        self.status_code = status_code

    @property
    def transient(self) -> bool:
        return self.status_code in TRANSIENT_STATUSES


class RegistryNotFound(RegistryError):
    """404 from the registry; Ollama reports it as a missing file."""

    def __init__(self) -> None:
        super().__init__(404, "")
        self.message = "file does not exist"


class ManifestNotFound(PollamaError):
    """The tag does not exist on the registry (500 as in Ollama, but a type callers can catch)."""

    def __init__(self) -> None:
        super().__init__("pull model manifest: file does not exist")


class InsecureProtocol(PollamaError):
    def __init__(self) -> None:
        super().__init__("insecure protocol http")


class StalledTransfer(Exception):
    """No byte arrived for the stall timeout: the connection is dropped and the part retried."""


class RangesUnsupported(Exception):
    """The server answered a ranged GET with the whole blob: fall back to one stream."""


class DigestMismatch(PollamaError):
    def __init__(self, want: str, got: str) -> None:
        super().__init__(f"digest mismatch, file must be downloaded again: want {want}, got {got}")


class ShortRead(Exception):
    """The connection ended before all the bytes asked for had come."""


_ERRNO_TEXT = re.compile(r"\[Errno (-?\d+)\] ?(.*)")
_NO_SUCH_HOST = frozenset({socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)})


def _os_error(exc: BaseException) -> tuple[int, str] | None:
    """The (errno, text) of the OS error under an httpx error, if one is found."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, OSError) and seen.errno is not None:
            return seen.errno, seen.strerror or ""
        match = _ERRNO_TEXT.search(str(seen))
        if match:
            return int(match.group(1)), match.group(2)
        seen = seen.__cause__ or seen.__context__
    return None


def _go_text(text: str) -> str:
    """Go spells OS errors in lower case: "connection refused", "no route to host"."""
    return text[:1].lower() + text[1:]


def network_reason(exc: BaseException, host: str, port: int | None) -> str:
    """What went wrong on the wire, worded as Go's net package does, never a class name."""
    address = f"{host}:{port}" if port else host
    if isinstance(exc, httpx.ConnectTimeout):
        return f"dial tcp {address}: i/o timeout"
    if isinstance(exc, httpx.TimeoutException):
        return "i/o timeout"
    found = _os_error(exc)
    if found is not None:
        code, text = found
        if code in _NO_SUCH_HOST:
            return f"dial tcp: lookup {host}: no such host"
        if code < 0:  # another resolver failure
            return f"dial tcp: lookup {host}: {_go_text(text)}"
        if code == errno.ECONNREFUSED:
            return f"dial tcp {address}: connect: connection refused"
        return f"dial tcp {address}: {_go_text(text or errno.errorcode.get(code, str(code)))}"
    text = str(exc).strip()
    if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError) and not text:
        return "EOF"
    return _go_text(text) if text else "connection failed"


def transport_failure(exc: httpx.RequestError) -> str:
    """Go's url.Error: `Head "https://host/v2/...": dial tcp: lookup host: no such host`."""
    try:
        request = exc.request
    except RuntimeError:  # raised outside a request: no method or URL to name
        return network_reason(exc, "", None)
    operation = request.method.capitalize()
    url = request.url
    reason = network_reason(exc, url.host, url.port or (443 if url.scheme == "https" else 80))
    return f'{operation} "{url}": {reason}'


def describe_failure(exc: BaseException) -> str:
    """A failed transfer's reason for a user: network errors as Go words them, others as
    their own message."""
    if isinstance(exc, httpx.RequestError):
        return transport_failure(exc)
    return str(exc) or "transfer failed"


def is_transient(exc: BaseException) -> bool:
    """Worth another try: network trouble, a stall, a busy or failing registry."""
    if isinstance(exc, RegistryError):
        return exc.transient
    return isinstance(exc, httpx.TransportError | StalledTransfer | ShortRead)
