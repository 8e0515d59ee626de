"""Request decoding and response encoding shared by every route, with Ollama's conventions."""

from __future__ import annotations

import json
import logging
import math
import re
from collections.abc import AsyncIterable, AsyncIterator, Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from fastapi import Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ValidationError

from pollama.errors import BadRequest, PollamaError

log = logging.getLogger(__name__)
T = TypeVar("T", bound=BaseModel)
E = TypeVar("E")


@runtime_checkable
class ToJson(Protocol):
    """A typed answer (e.g. `serving.chunks.NativeChunk`) that becomes JSON only here, at the
    edge."""

    def to_json(self) -> dict[str, Any]: ...


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
_RANGE_ERRORS = frozenset({"greater_than_equal", "less_than_equal"})


# Deeper than this is refused (Go allows 10000, Python's recursion limit much less; nothing a
# real request sends comes near it, and deeper values would exhaust recursive code downstream).
MAX_DEPTH = 128
_SURROGATE = re.compile("[\ud800-\udfff]")
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def dumps(value: Any) -> bytes:
    if isinstance(value, ToJson):
        value = value.to_json()
    text = json.dumps(value, separators=(",", ":"), ensure_ascii=False)
    try:
        return text.encode()
    except UnicodeEncodeError:  # a lone surrogate from somewhere: U+FFFD, as Go writes it
        return _SURROGATE.sub("\ufffd", text).encode()


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
    if first["type"] in _RANGE_ERRORS:  # a number outside the Go type's range
        expected, got = "int", f"number {first.get('input')}"
    else:
        expected = _GO_TYPES.get(first["type"], first["type"])
        got = _json_kind(first.get("input"))
    return BadRequest(
        f"json: cannot unmarshal {got} into Go struct field {model.__name__}.{field} "
        f"of type {expected}"
    )


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"invalid character {name[0]!r} looking for beginning of value")


def _parse_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise BadRequest(f"json: cannot unmarshal number {text} into Go value of type float64")
    return value


def _parse_int(text: str) -> int:
    # Go decodes a number into `any` as a float64: beyond that range it is refused; this also
    # keeps Python's int() away from texts thousands of digits long.
    _parse_float(text)
    return int(text)


def _clean(data: Any, surrogates: bool) -> Any:
    """Refuse nesting deeper than MAX_DEPTH; with `surrogates`, replace lone UTF-16
    surrogates in strings (and keys) by U+FFFD as Go's decoder does. Iterative: no recursion."""
    root = [data]
    stack: list[tuple[list[Any] | dict[str, Any], int]] = [(root, 0)]
    while stack:
        container, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequest("invalid JSON: exceeded max depth")
        if isinstance(container, dict):
            if surrogates and any(_SURROGATE.search(key) for key in container):
                items = [(_SURROGATE.sub("\ufffd", k), v) for k, v in container.items()]
                container.clear()
                container.update(items)
            keys: Any = list(container)
        else:
            keys = range(len(container))
        for key in keys:
            value = container[key]
            if isinstance(value, str):
                if surrogates and _SURROGATE.search(value):
                    container[key] = _SURROGATE.sub("\ufffd", value)
            elif isinstance(value, dict | list):
                stack.append((value, depth + 1))
    return root[0]


def parse_json(raw: bytes) -> Any:
    """A request body as Go's encoding/json reads it: invalid UTF-8 and lone surrogates become
    U+FFFD, NaN/Infinity and numbers beyond float64 are refused, and so is absurd nesting; every
    failure is a 400 (never a 500)."""
    text = raw.decode("utf-8", "replace")
    try:
        data = json.loads(
            text,
            parse_constant=_refuse_constant,
            parse_float=_parse_float,
            parse_int=_parse_int,
        )
    except RecursionError:
        raise BadRequest("invalid JSON: exceeded max depth") from None
    except ValueError as exc:  # JSONDecodeError and the hooks' refusals
        raise BadRequest(f"invalid JSON: {exc}") from None
    surrogates = bool(_SURROGATE_ESCAPE.search(text))
    nested = text.count("[") + text.count("{") > MAX_DEPTH
    if isinstance(data, dict | list) and (surrogates or nested):
        data = _clean(data, surrogates)
    elif isinstance(data, str) and surrogates:
        data = _SURROGATE.sub("\ufffd", data)
    return data


def decode(model: type[T], raw: bytes) -> T:
    if not raw.strip():
        raise BadRequest("missing request body")
    data = parse_json(raw)
    if not isinstance(data, dict):
        raise BadRequest(
            f"json: cannot unmarshal {_json_kind(data)} into Go value of type {model.__name__}"
        )
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _type_error(model, exc) from None
    except RecursionError:
        raise BadRequest("invalid JSON: exceeded max depth") from None


async def read(request: Request, model: type[T]) -> T:
    return decode(model, await request.body())


async def respond(
    events: AsyncIterable[E],
    *,
    stream: bool,
    collect: Callable[[list[E]], ToJson | dict[str, Any]] | None = None,
) -> Response:
    """Send an event stream as NDJSON, or as one object when `stream` is false. Events are dicts
    or typed answers (`ToJson`, such as native chunks), made JSON only here.

    The first event is awaited before any byte is sent, so errors raised while preparing become a
    real HTTP status. Later errors become a final `{"error": ...}` line under the 200 already
    sent, which Ollama's clients raise on (server/routes.go, streamResponse). Without `collect`, a
    non-streamed response is the last event (create/pull/push); with it, `collect` merges them.
    """
    iterator = aiter(events)
    pending: list[E] = []
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
            yield dumps({"error": str(exc) or "internal server error"}) + b"\n"
        finally:
            close = getattr(iterator, "aclose", None)
            if close is not None:
                await close()

    return StreamingResponse(lines(), media_type=NDJSON_TYPE)
