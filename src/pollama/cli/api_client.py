"""What the run/ps/stop code needs from an HTTP client; `cli.client.Client` is one, and tests pass
a small fake."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, Protocol


class JsonResponse(Protocol):
    def json(self) -> Any: ...


class ApiClient(Protocol):
    def request(self, method: str, path: str, body: Any = None) -> JsonResponse:
        """One request; a non-2xx answer raises `PollamaError` (status and server message)."""
        ...

    def stream(self, path: str, body: dict[str, Any]) -> Iterator[dict[str, Any]]:
        """POST with `stream: true`; yields each NDJSON object, raises on an `error` line."""
        ...
