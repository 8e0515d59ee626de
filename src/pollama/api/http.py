"""Request decoding and response encoding shared by every route (§0 conventions)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ValidationError

from pollama.errors import BadRequest, PollamaError

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)

JSON_TYPE = "application/json; charset=utf-8"
NDJSON_TYPE = "application/x-ndjson"

_GO_TYPES = {
    "string_type": "string",
    "int_type": "int",
    "int_from_float": "int",
    "float_type": "float64",
    "bool_type": "bool",
    "list_type": "array",
    "dict_type": "object",
    "model_type": "object",
}


def dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def json_response(value: Any, status: int = 200) -> Response:
    return Response(dumps(value), status_code=status, media_type=JSON_TYPE)


def error_response(error: PollamaError) -> Response:
    return json_response({"error": error.message}, error.status)


def _json_kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if value is None:
        return "null"
    return "object"


def _type_error(model: type[BaseModel], error: ValidationError) -> BadRequest:
    """A pydantic error as Go's json decoder words it, naming the field."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"] if not isinstance(part, int))
    expected = _GO_TYPES.get(first["type"], first["type"])
    got = _json_kind(first.get("input"))
    return BadRequest(
        f"json: cannot unmarshal {got} into Go struct field {model.__name__}.{field} "
        f"of type {expected}"
    )


def decode(model: type[T], raw: bytes) -> T:
    if not raw.strip():
        raise BadRequest("missing request body")
    try:
        data = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(f"invalid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise BadRequest(
            f"json: cannot unmarshal {_json_kind(data)} into Go value of type {model.__name__}"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _type_error(model, exc) from None


async def read(request: Request, model: type[T]) -> T:
    return decode(model, await request.body())


async def respond(
    events: AsyncIterable[dict[str, Any]],
    *,
    stream: bool,
    collect: Callable[[list[dict[str, Any]]], dict[str, Any]] | None = None,
) -> Response:
    """Send an event stream as NDJSON, or as one object when `stream` is false.

    The first event is awaited before any byte is sent, so errors raised while preparing become a
    real HTTP status. Later errors become a final `{"error": ...}` line (§0). Without `collect`, a
    non-streamed response is the last event (create/pull/push); with it, `collect` merges them.
    """
    iterator = aiter(events)
    pending: list[dict[str, Any]] = []
    try:
        pending.append(await anext(iterator))
    except StopAsyncIteration:
        pass

    if not stream:
        try:
            async for event in iterator:
                pending.append(event)
        except PollamaError as exc:
            return error_response(exc)
        if collect is not None:
            return json_response(collect(pending))
        return json_response(pending[-1] if pending else {})

    async def lines() -> AsyncIterator[bytes]:
        try:
            for event in pending:
                yield dumps(event) + b"\n"
            async for event in iterator:
                yield dumps(event) + b"\n"
        except PollamaError as exc:
            yield dumps({"error": exc.message}) + b"\n"
        except Exception as exc:  # never a torn stream without a word
            log.exception("error while streaming")
            yield dumps({"error": str(exc) or type(exc).__name__}) + b"\n"
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()

    return StreamingResponse(lines(), media_type=NDJSON_TYPE)
