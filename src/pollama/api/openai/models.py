"""`GET /v1/models` and `GET /v1/models/{model}`, from the model store; Anthropic clients
get Anthropic's model objects and pages."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from pollama.api.anthropic.dialect import wants_anthropic
from pollama.api.anthropic.models import model_info, model_page
from pollama.errors import NotFound
from pollama.names import Name
from pollama.server.context import context_of
from pollama.server.http import json_response
from pollama.store import Model

router = APIRouter()


def model_object(model: Model, id: str | None = None) -> dict[str, Any]:
    return {
        "id": id if id is not None else model.name.display_shortest,
        "object": "model",
        "created": int(model.stored.mtime),
        "owned_by": model.name.namespace,
    }


def model_list(models: list[Model]) -> dict[str, Any]:
    """Newest first, as `/api/tags`; `data` is null (not `[]`) when there are none."""
    ordered = sorted(models, key=lambda m: m.stored.mtime, reverse=True)
    return {"object": "list", "data": [model_object(m) for m in ordered] or None}


@router.get("/v1/models")
async def list_models(
    request: Request,
    limit: int | None = None,
    after_id: str | None = None,
    before_id: str | None = None,
) -> Response:
    store = context_of(request).store
    models = await run_in_threadpool(store.models)
    if wants_anthropic(request):
        page = model_page(models, limit=limit, after_id=after_id, before_id=before_id)
        return json_response(page)
    return json_response(model_list(models))


@router.get("/v1/models/{model}")
async def retrieve_model(request: Request, model: str) -> Response:
    name = Name.parse(model)
    store = context_of(request).store
    found = await run_in_threadpool(store.model, name) if name.is_valid else None
    if found is None:
        raise NotFound(f"model '{name.display_shortest}' not found")
    if wants_anthropic(request):
        return json_response(model_info(found, id=model))
    return json_response(model_object(found, id=model))
