"""Model objects and pages as Anthropic's `GET /v1/models` answers them, for Anthropic clients
(the `/v1/models` routes pick this shape by the `anthropic-version` header)."""

from __future__ import annotations

from typing import Any

from pollama.errors import BadRequest
from pollama.go import time as timefmt
from pollama.store import Model

DEFAULT_LIMIT = 20
MAX_LIMIT = 1000


def model_info(model: Model, id: str | None = None) -> dict[str, Any]:
    name = id if id is not None else model.name.display_shortest
    return {
        "type": "model",
        "id": name,
        "display_name": name,
        "created_at": timefmt.utc_from_seconds(model.stored.mtime),
        "lifecycle": "active",
    }


def _position(ids: list[str], id: str, field: str) -> int:
    if id not in ids:
        raise BadRequest(f"{field}: no model with id {id!r}")
    return ids.index(id)


def model_page(
    models: list[Model],
    *,
    limit: int | None = None,
    after_id: str | None = None,
    before_id: str | None = None,
) -> dict[str, Any]:
    """Newest first, `limit` at a time, after `after_id` or before `before_id`."""
    size = DEFAULT_LIMIT if limit is None else limit
    if not 1 <= size <= MAX_LIMIT:
        raise BadRequest(f"limit: must be between 1 and {MAX_LIMIT}")
    if after_id is not None and before_id is not None:
        raise BadRequest("after_id and before_id cannot both be given")
    infos = [model_info(m) for m in sorted(models, key=lambda m: m.stored.mtime, reverse=True)]
    ids = [info["id"] for info in infos]
    if before_id is not None:
        end = _position(ids, before_id, "before_id")
        page, has_more = infos[max(0, end - size) : end], end - size > 0
    else:
        start = 0 if after_id is None else _position(ids, after_id, "after_id") + 1
        page, has_more = infos[start : start + size], start + size < len(infos)
    return {
        "data": page,
        "has_more": has_more,
        "first_id": page[0]["id"] if page else None,
        "last_id": page[-1]["id"] if page else None,
    }
