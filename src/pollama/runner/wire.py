"""JSON forms of the runner's dataclasses, derived from their fields.

`to_wire(obj)` turns a dataclass into a JSON object with one key per field; a field still
at its default is left out (stream chunks are frequent, and the reader fills the default
back in: server and runner are always the same version). `from_wire(cls, data)` reads one
back, checking every value against its field's type. A `Path` travels as a string, a tuple
as a list, a nested dataclass as an object, `X | None` as X or null.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from collections.abc import Callable, Mapping
from pathlib import Path, PurePath
from typing import Any, TypeAlias, TypeVar

T = TypeVar("T")

JSON: TypeAlias = bool | int | float | str | list["JSON"] | dict[str, "JSON"] | None

Decoder: TypeAlias = Callable[[object, str], Any]

_NO_DEFAULT = object()


@dataclasses.dataclass(frozen=True)
class WireField:
    """One dataclass field as the codec sees it: its resolved type and its default."""

    name: str
    type: Any  # a type expression (list[int], int | None, ...), not only a class
    default: object  # _NO_DEFAULT when the field must always be given
    metadata: Mapping[str, object]

    @property
    def required(self) -> bool:
        return self.default is _NO_DEFAULT


def wire_fields(cls: type) -> tuple[WireField, ...]:
    """The fields of dataclass `cls` that travel, with their annotations resolved."""
    return _wire_fields(cls)


@functools.cache
def _wire_fields(cls: type) -> tuple[WireField, ...]:
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    hints = typing.get_type_hints(cls)
    result = []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        if field.default is not dataclasses.MISSING:
            default: object = field.default
        elif field.default_factory is not dataclasses.MISSING:
            default = field.default_factory()
        else:
            default = _NO_DEFAULT
        result.append(WireField(field.name, hints[field.name], default, field.metadata))
    return tuple(result)


def to_wire(obj: object) -> dict[str, JSON]:
    """The JSON object for dataclass instance `obj` (fields at their default left out)."""
    if not dataclasses.is_dataclass(obj) or isinstance(obj, type):
        raise TypeError(f"{obj!r} is not a dataclass instance")
    data: dict[str, JSON] = {}
    for field in wire_fields(type(obj)):
        value = getattr(obj, field.name)
        if not field.required and value == field.default:
            continue
        data[field.name] = _encode(value)
    return data


def from_wire(cls: type[T], data: Mapping[str, object]) -> T:
    """An instance of dataclass `cls` from its JSON object; TypeError/ValueError if malformed."""
    if not isinstance(data, Mapping):
        raise TypeError(f"{cls.__name__} must be a JSON object, not {type(data).__name__}")
    fields = wire_fields(cls)
    unknown = set(data) - {field.name for field in fields}
    if unknown:
        raise ValueError(f"unknown {cls.__name__} fields: {', '.join(sorted(unknown))}")
    values = {f.name: decode(f.type, data[f.name], f.name) for f in fields if f.name in data}
    return cls(**values)


_PLAIN = frozenset({float, int, str})


def _encode(value: object) -> JSON:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, PurePath):
        return str(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return to_wire(value)
    if isinstance(value, list | tuple):
        if all(type(item) in _PLAIN for item in value):
            return list(value)  # vectors and token ids: no walk in Python
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {str(key): _encode(item) for key, item in value.items()}
    raise TypeError(f"no wire form for {type(value).__name__}")


def decode(kind: Any, value: object, where: str = "value") -> Any:
    """`value` (decoded JSON) as type expression `kind`; TypeError/ValueError naming `where`."""
    return _decoder(kind)(value, where)


@functools.cache
def _decoder(kind: Any) -> Decoder:
    """A checking reader for `kind`, built once per type (chunks and vectors are many)."""
    if kind is Any or kind is object:
        return lambda value, where: value
    origin = typing.get_origin(kind)
    args = typing.get_args(kind)
    if origin is typing.Union or origin is types.UnionType:
        return _union_decoder(args)
    if origin is list or kind is list:
        return _list_decoder(args[0] if args else Any)
    if origin is tuple or kind is tuple:
        return _tuple_decoder(args)
    if origin is dict or kind is dict:
        item = _decoder(args[1] if args else Any)
        return lambda value, where: {
            str(key): item(entry, where) for key, entry in _expect(value, dict, where).items()
        }
    if origin is typing.Literal:
        return lambda value, where: _one_of(args, value, where)
    if isinstance(kind, type) and dataclasses.is_dataclass(kind):
        cls = kind
        return lambda value, where: from_wire(cls, _expect(value, dict, where))
    if kind in _SCALARS:
        return _SCALARS[kind]
    raise TypeError(f"no wire form for {kind!r}")


def _list_decoder(item_kind: Any) -> Decoder:
    item = _decoder(item_kind)
    exact = item_kind if item_kind in (float, int, str) else None

    def read(value: object, where: str) -> list[Any]:
        items = _expect(value, list, where)
        if exact is not None and all(type(entry) is exact for entry in items):
            return items  # the common case (vectors, token ids), checked at C speed
        return [item(entry, where) for entry in items]

    return read


def _tuple_decoder(args: tuple[Any, ...]) -> Decoder:
    if not args or args[-1] is Ellipsis:
        item = _decoder(args[0] if args else Any)
        return lambda value, where: tuple(item(e, where) for e in _expect(value, list, where))
    items = tuple(_decoder(arg) for arg in args)

    def read(value: object, where: str) -> tuple[Any, ...]:
        entries = _expect(value, list, where)
        if len(entries) != len(items):
            raise ValueError(f"{where}: expected {len(items)} items, got {len(entries)}")
        return tuple(item(entry, where) for item, entry in zip(items, entries, strict=True))

    return read


def _union_decoder(arms: tuple[Any, ...]) -> Decoder:
    nullable = type(None) in arms
    choices = [_decoder(arm) for arm in arms if arm is not type(None)]

    def read(value: object, where: str) -> Any:
        if value is None:
            if nullable:
                return None
            raise TypeError(f"{where}: must not be null")
        for choice in choices:
            try:
                return choice(value, where)
            except (TypeError, ValueError):
                continue
        raise TypeError(f"{where}: a {type(value).__name__} fits none of {arms}")

    return read


def _one_of(allowed: tuple[object, ...], value: object, where: str) -> object:
    if value not in allowed:
        raise ValueError(f"{where}: {value!r} is not one of {allowed}")
    return value


def _null(value: object, where: str) -> None:
    if value is not None:
        raise TypeError(f"{where}: must be null")


def _int(value: object, where: str) -> int:
    if isinstance(value, bool):  # JSON true is no number
        raise TypeError(f"{where}: must be an integer, not a boolean")
    return _expect(value, int, where)


def _float(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{where}: must be a number, not {type(value).__name__}")
    return float(value)


_SCALARS: dict[object, Decoder] = {
    type(None): _null,
    bool: lambda value, where: _expect(value, bool, where),
    int: _int,
    float: _float,
    str: lambda value, where: _expect(value, str, where),
    Path: lambda value, where: Path(_expect(value, str, where)),
}


def _expect(value: object, kind: type[T], where: str) -> T:
    if not isinstance(value, kind):
        raise TypeError(f"{where}: must be {kind.__name__}, not {type(value).__name__}")
    return value
