"""Each API words its errors its own way: Anthropic's body for Anthropic's requests (see
`anthropic.dialect`), OpenAI's envelope for the rest of `/v1/`, and `{"error": message}` on the
native API."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import Response

from pollama.api.anthropic import dialect
from pollama.api.anthropic import errors as anthropic_errors
from pollama.api.openai import errors as openai_errors
from pollama.errors import PollamaError
from pollama.server.http import error_response, json_response


def error_for(request: Request, error: PollamaError) -> Response:
    if dialect.wants_anthropic(request):
        return json_response(anthropic_errors.envelope(error.status, error.message), error.status)
    if openai_errors.is_openai_path(request.url.path):
        return json_response(openai_errors.envelope(error.status, error.message), error.status)
    return error_response(error)
