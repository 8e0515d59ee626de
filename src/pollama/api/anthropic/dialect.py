"""Who speaks Anthropic's dialect: every request under `/v1/messages`, and any `/v1` request
from an Anthropic client, which always sends an `anthropic-version` header. Such requests get
Anthropic's shapes (model objects, error bodies) where OpenAI's would differ."""

from __future__ import annotations

from fastapi import Request

ANTHROPIC_PREFIX = "/v1/messages"
VERSION_HEADER = "anthropic-version"


def is_anthropic_path(path: str) -> bool:
    return path == ANTHROPIC_PREFIX or path.startswith(ANTHROPIC_PREFIX + "/")


def wants_anthropic(request: Request) -> bool:
    path = request.url.path
    if is_anthropic_path(path):
        return True
    return path.startswith("/v1/") and VERSION_HEADER in request.headers
