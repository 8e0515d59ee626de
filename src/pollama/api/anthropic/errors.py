"""Anthropic's error body: `{"type": "error", "error": {type, message}}`,
the type picked by the status, as the `anthropic` SDK maps them."""

from __future__ import annotations

import secrets
from typing import Any

_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    503: "overloaded_error",
    529: "overloaded_error",
}


def error_type(status: int) -> str:
    return _TYPES.get(status, "api_error")


def error_body(status: int, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type(status), "message": message}}


def envelope(status: int, message: str) -> dict[str, Any]:
    """The response body of a failed request, with a request id as Anthropic's carry."""
    return {**error_body(status, message), "request_id": f"req_{secrets.token_hex(12)}"}
