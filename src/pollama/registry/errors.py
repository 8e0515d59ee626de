"""Errors of registry traffic, worded as Ollama words them (§1.11, §9.1)."""

from __future__ import annotations

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


def is_transient(exc: BaseException) -> bool:
    """Worth another try: network trouble, a stall, a busy or failing registry."""
    if isinstance(exc, RegistryError):
        return exc.transient
    return isinstance(exc, httpx.TransportError | StalledTransfer | ShortRead)
