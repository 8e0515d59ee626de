"""How Python values stand in for Go values inside the template engine.

None is Go's untyped nil; `NIL` is a nil stored in an interface (a missing map key under
`missingkey=zero`, or a nil `any` field). The two print the same, but a field lookup on `NIL`
is an error while one on None quietly yields nil, as in Go.

Go structs are subclasses of `GoStruct`: their Go field names are attribute names, they may have
Go methods, and they may print themselves (`__go_str__`, Go's String method) and encode
themselves for encoding/json (`__go_json__`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields
from typing import Any, ClassVar, Final


class _NilInterface:
    _instance: ClassVar[_NilInterface | None] = None

    def __new__(cls) -> _NilInterface:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NIL"

    def __bool__(self) -> bool:
        return False


NIL: Final = _NilInterface()


class GoStruct:
    """Base of the data objects: a Go struct whose fields are dataclass fields."""

    go_type: ClassVar[str] = "struct"
    _go_field_names: ClassVar[tuple[str, ...]]
    _go_iface_names: ClassVar[frozenset[str]]
    go_pointer: ClassVar[bool] = False  # a *T prints as &{...}

    @classmethod
    def go_fields(cls) -> tuple[str, ...]:
        names = cls.__dict__.get("_go_field_names")
        if names is None:
            names = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
            cls._go_field_names = names  # cached per class
        return names

    @classmethod
    def go_interface_fields(cls) -> frozenset[str]:
        """Fields of Go type `any` (annotated `Any` here)."""
        names = cls.__dict__.get("_go_iface_names")
        if names is None:
            names = frozenset(f.name for f in fields(cls) if f.type in ("Any", Any))  # type: ignore[arg-type]
            cls._go_iface_names = names
        return names

    def go_method(self, name: str) -> Callable[[], Any] | None:
        """A Go method without arguments callable as `.Name`, if the type has one."""
        return None

    def __bool__(self) -> bool:
        return True  # struct values are always true in Go templates


def element_in_interface(container: Any, element: Any) -> bool:
    """Whether Go holds this list/map element in an `any` slot (JSON data does; typed lists of
    structs and strings do not)."""
    return not isinstance(element, GoStruct) and not getattr(container, "go_concrete", False)


def is_nil(value: Any) -> bool:
    return value is None or value is NIL


def go_type_name(value: Any) -> str:
    """The Go type a value stands for, as Go's error messages print it."""
    custom = getattr(value, "go_type", None)
    if isinstance(custom, str):
        return custom
    if is_nil(value):
        return "interface {}"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float64"
    if isinstance(value, complex):
        return "complex128"
    if isinstance(value, str):
        return "string"
    if isinstance(value, (bytes, bytearray)):
        return "[]uint8"
    if isinstance(value, dict):
        return "map[string]interface {}"
    if isinstance(value, (list, tuple)):
        return "[]interface {}"
    if callable(value):
        return "func"
    return type(value).__name__


def is_true(value: Any) -> bool:
    """Go template truth: false, 0, nil and empty strings/slices/maps are false."""
    if is_nil(value):
        return False
    if isinstance(value, GoStruct):
        return True
    if isinstance(value, (bool, int, float, complex, str, bytes, list, tuple, dict)):
        return bool(value)
    return True
