"""OpenAI's error envelope for everything under `/v1/`: the status picks the type
(Ollama's openai/openai.go, NewError)."""

from __future__ import annotations

from typing import Any

OPENAI_PREFIX = "/v1/"


def error_type(status: int) -> str:
    if status == 400:
        return "invalid_request_error"
    if status == 404:
        return "not_found_error"
    return "api_error"


def envelope(status: int, message: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": error_type(status), "param": None, "code": None}}


def is_openai_path(path: str) -> bool:
    return path.startswith(OPENAI_PREFIX)
