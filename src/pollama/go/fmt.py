"""Go's `fmt` verbs for plain values (JSON-decoded options and parameters): `%v` and `%#v`.

The template engine prints its own values (structs, typed nils, `String` methods) in
`templates.printing`; both print floats and strings through `go.strconv`.
"""

from __future__ import annotations

from collections.abc import Mapping

from pollama.go.strconv import format_float, quote


def format_v(value: object) -> str:
    """`%v`: 0.7, 4096, true, strings bare, `<nil>`, lists as `[a b]`, maps as `map[k:v]`."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(format_v(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "map[" + " ".join(f"{k}:{format_v(v)}" for k, v in items) + "]"
    return str(value)


def format_gosyntax(value: object) -> str:
    """`%#v` of a value held in an `any`: strings quoted, lists as `[]interface {}{...}`,
    numbers and bools as `%v`."""
    if isinstance(value, str):
        return quote(value)
    if isinstance(value, list | tuple):
        return "[]interface {}{" + ", ".join(format_gosyntax(item) for item in value) + "}"
    return format_v(value)
