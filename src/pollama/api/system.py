"""`/` and `/api/version`: the heartbeat and version routes (Ollama's server/routes.go)."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import PlainTextResponse, Response

from pollama.server.http import json_response

# The Ollama API level pollama speaks: clients gate features on this number.
OLLAMA_API_VERSION = "0.33.0"

router = APIRouter()


@router.api_route("/", methods=["GET", "HEAD"])
async def root() -> Response:
    return PlainTextResponse("Ollama is running")


@router.api_route("/api/version", methods=["GET", "HEAD"])
async def version() -> Response:
    return json_response({"version": OLLAMA_API_VERSION})
