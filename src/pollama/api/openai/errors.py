"""OpenAI's error envelope for everything under `/v1/`: the status picks the type
(Ollama's openai/openai.go, NewError)."""

from __future__ import annotations

from typing import Any

OPENAI_PREFIX = "/v1/"


# API-key refusals (pollama's own; Ollama has no keys) as OpenAI's API words them: a bad key is
# an invalid_request_error with code invalid_api_key, a rate limit has type "requests" and code
# rate_limit_exceeded. Its clients raise by status (AuthenticationError, PermissionDeniedError,
# RateLimitError).
_TYPES = {400: "invalid_request_error", 401: "invalid_request_error", 403: "invalid_request_error"}
_TYPES.update({404: "not_found_error", 429: "requests"})
_CODES = {401: "invalid_api_key", 429: "rate_limit_exceeded"}


def error_type(status: int) -> str:
    return _TYPES.get(status, "api_error")


def envelope(status: int, message: str) -> dict[str, Any]:
    code = _CODES.get(status)
    return {"error": {"message": message, "type": error_type(status), "param": None, "code": code}}


def is_openai_path(path: str) -> bool:
    return path.startswith(OPENAI_PREFIX)
