"""One error hierarchy for the whole project.

Every error carries the HTTP status the API answers with and the exact message Ollama uses, so
the server turns any of them into `{"error": message}` and the CLI into `Error: message`.
"""

from __future__ import annotations


class PollamaError(Exception):
    """Base error: `message` is shown to the user as is; `status` is the HTTP status."""

    status: int = 500

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status

    def __str__(self) -> str:
        return self.message


class BadRequest(PollamaError):
    """The request is malformed or asks for something invalid (400)."""

    status = 400


class NotFound(PollamaError):
    """A model, blob or path does not exist (404)."""

    status = 404


class Conflict(PollamaError):
    """The request conflicts with the current state (409)."""

    status = 409


class ServiceUnavailable(PollamaError):
    """The server cannot take the request now, e.g. a full queue (503)."""

    status = 503


class RequestCanceled(PollamaError):
    """The client went away while its request waited (499, as Ollama)."""

    status = 499
