"""The template functions: Go's builtins plus Ollama's json, currentDate, yesterdayDate and
toTypeScriptType.

Functions receive evaluated arguments (nil as None) and raise `FuncError` with Go's message;
the executor reports it as `error calling NAME: MESSAGE`. `and`/`or` are evaluated lazily by
the executor itself.
"""

from __future__ import annotations

import datetime
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pollama.templates.gojson import UnsupportedValue, marshal
from pollama.templates.gotypes import GoStruct, go_type_name, is_nil, is_true
from pollama.templates.printf import sprintf
from pollama.templates.printing import sprint, sprintln


class FuncError(Exception):
    """A template function failed; str() is Go's error text."""


@dataclass(frozen=True, slots=True)
class Function:
    """A callable with Go's signature shape: fixed parameters, then maybe a variadic one."""

    call: Callable[..., Any]
    fixed: int
    variadic: bool = False
    # Go parameter types: "value" (reflect.Value, Go's builtins), "any", or "string"
    fixed_type: str = "value"
    variadic_type: str = "value"

    def param_type(self, position: int) -> str:
        return self.fixed_type if position < self.fixed else self.variadic_type


# --- comparison -----------------------------------------------------------------------------

_BASIC_KINDS = {bool: "bool", int: "int", float: "float", complex: "complex", str: "string"}


def _kind(value: Any) -> str:
    if is_nil(value):
        return "invalid"
    return _BASIC_KINDS.get(type(value), "invalid")


def _incompatible(a: Any, b: Any) -> FuncError:
    return FuncError(f"incompatible types for comparison: {go_type_name(a)} and {go_type_name(b)}")


def _uncomparable(value: Any) -> bool:
    return isinstance(value, (list, dict, tuple))


def eq(arg1: Any, *others: Any) -> bool:
    if not is_nil(arg1) and _uncomparable(arg1):
        raise FuncError(f"uncomparable type {go_type_name(arg1)}: {sprint([arg1])}")
    if not others:
        raise FuncError("missing argument for comparison")
    kind1 = _kind(arg1)
    for other in others:
        kind2 = _kind(other)
        if kind1 != kind2:
            if not is_nil(arg1) and not is_nil(other):
                raise _incompatible(arg1, other)
            truth = False
        elif kind1 != "invalid":
            truth = arg1 == other
        elif is_nil(other):
            truth = is_nil(arg1)
        else:
            if _uncomparable(other):
                raise FuncError(f"uncomparable type {go_type_name(other)}: {sprint([other])}")
            truth = arg1 is other or (not isinstance(arg1, GoStruct) and arg1 == other)
        if truth:
            return True
    return False


def ne(arg1: Any, arg2: Any) -> bool:
    return not eq(arg1, arg2)


def lt(arg1: Any, arg2: Any) -> bool:
    kind1, kind2 = _kind(arg1), _kind(arg2)
    if kind1 == "invalid" or kind2 == "invalid":
        raise FuncError("invalid type for comparison")
    if kind1 != kind2:
        raise _incompatible(arg1, arg2)
    if kind1 in ("bool", "complex"):
        raise FuncError("invalid type for comparison")
    return bool(arg1 < arg2)


def le(arg1: Any, arg2: Any) -> bool:
    return lt(arg1, arg2) or eq(arg1, arg2)


def gt(arg1: Any, arg2: Any) -> bool:
    return not le(arg1, arg2)


def ge(arg1: Any, arg2: Any) -> bool:
    return not lt(arg1, arg2)


# --- collections ----------------------------------------------------------------------------


def length(item: Any) -> int:
    if is_nil(item):
        raise FuncError("len of nil pointer")
    if isinstance(item, str):
        return len(item.encode())
    if isinstance(item, (list, tuple, dict, bytes)):
        return len(item)
    raise FuncError(f"len of type {go_type_name(item)}")


def _index_arg(index: Any, cap: int) -> int:
    if is_nil(index):
        raise FuncError("cannot index slice/array with nil")
    if isinstance(index, bool) or not isinstance(index, int):
        raise FuncError(f"cannot index slice/array with type {go_type_name(index)}")
    if index < 0 or index > cap:
        raise FuncError(f"index out of range: {index}")
    return index


def index(item: Any, *indexes: Any) -> Any:
    if is_nil(item):
        raise FuncError("index of untyped nil")
    for key in indexes:
        if is_nil(item):
            raise FuncError("index of nil pointer")
        if isinstance(item, (str, bytes, list, tuple)):
            sequence = item.encode() if isinstance(item, str) else item
            position = _index_arg(key, len(sequence))
            if position == len(sequence):  # passes Go's bound check, then reflect panics
                kind = "string" if isinstance(item, str) else "slice"
                raise FuncError(f"reflect: {kind} index out of range")
            item = sequence[position]
        elif isinstance(item, dict):
            if is_nil(key):
                raise FuncError("value is nil; should be of type string")
            if not isinstance(key, str):
                raise FuncError(f"value has type {go_type_name(key)}; should be string")
            item = item.get(key)
        else:
            raise FuncError(f"can't index item of type {go_type_name(item)}")
    return item


def slice_(item: Any, *indexes: Any) -> Any:
    if is_nil(item):
        raise FuncError("slice of untyped nil")
    if len(indexes) > 3:
        raise FuncError(f"too many slice indexes: {len(indexes)}")
    data: Any
    if isinstance(item, str):
        if len(indexes) == 3:
            raise FuncError("cannot 3-index slice a string")
        data = item.encode()
    elif isinstance(item, (list, tuple, bytes)):
        data = item
    else:
        raise FuncError(f"can't slice item of type {go_type_name(item)}")
    bounds = [0, len(data), len(data)]
    for i, key in enumerate(indexes):
        bounds[i] = _index_arg(key, len(data))
    if bounds[0] > bounds[1]:
        raise FuncError(f"invalid slice index: {bounds[0]} > {bounds[1]}")
    if len(indexes) == 3 and bounds[1] > bounds[2]:
        raise FuncError(f"invalid slice index: {bounds[1]} > {bounds[2]}")
    part = data[bounds[0] : bounds[1]]
    if isinstance(item, str):
        return bytes(part).decode("utf-8", "replace")
    return _same_kind(item, part)


def _same_kind(original: Any, part: Any) -> Any:
    """A slice of a typed list keeps its Go type (so `slice .Tools 1` still prints JSON)."""
    if type(original) in (list, tuple, bytes):
        return part
    try:
        return type(original)(part)
    except TypeError:
        return part


# --- escaping and printing ------------------------------------------------------------------


def _eval_args(args: tuple[Any, ...]) -> str:
    """Go's evalArgs: a lone string as is, else Sprint with nil shown as <no value>."""
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return sprint(["<no value>" if is_nil(arg) else arg for arg in args])


_HTML = {"\0": "\ufffd", '"': "&#34;", "'": "&#39;", "&": "&amp;", "<": "&lt;", ">": "&gt;"}
_JS = {
    "\\": "\\\\",
    "'": "\\'",
    '"': '\\"',
    "<": "\\u003C",
    ">": "\\u003E",
    "&": "\\u0026",
    "=": "\\u003D",
}


def html(*args: Any) -> str:
    return "".join(_HTML.get(ch, ch) for ch in _eval_args(args))


def _js_char(ch: str) -> str:
    if ch in _JS:
        return _JS[ch]
    if ch < " ":
        return f"\\u00{ord(ch):02X}"
    if ch >= "\x80" and not ch.isprintable():
        return f"\\u{ord(ch):04X}"
    return ch


def js(*args: Any) -> str:
    return "".join(_js_char(ch) for ch in _eval_args(args))


def urlquery(*args: Any) -> str:
    return urllib.parse.quote_plus(_eval_args(args), safe="-_.~")


def call(fn: Any, *args: Any) -> Any:
    if is_nil(fn):
        raise FuncError("call of nil")
    if not callable(fn) or isinstance(fn, GoStruct):
        raise FuncError(f"non-function of type {go_type_name(fn)}")
    return fn(*args)


# --- Ollama's functions ---------------------------------------------------------------------


def to_json(value: Any) -> str:
    try:
        return marshal(value)
    except UnsupportedValue:
        return ""  # Ollama ignores json.Marshal's error


def to_typescript_type(value: Any) -> str:
    convert = getattr(value, "to_typescript_type", None)
    return convert() if callable(convert) else "any"


def current_date(*_format: str) -> str:
    return datetime.date.today().isoformat()


def yesterday_date(*_format: str) -> str:
    return (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


def _lazy(*_args: Any) -> Any:  # pragma: no cover - and/or are evaluated by the executor
    raise AssertionError("and/or are evaluated lazily")


ANY, STRING = "any", "string"
FUNCTIONS: dict[str, Function] = {
    "and": Function(_lazy, 1, variadic=True),
    "or": Function(_lazy, 1, variadic=True),
    "not": Function(lambda arg: not is_true(arg), 1),
    "len": Function(length, 1),
    "index": Function(index, 1, variadic=True),
    "slice": Function(slice_, 1, variadic=True),
    "eq": Function(eq, 1, variadic=True),
    "ne": Function(ne, 2),
    "lt": Function(lt, 2),
    "le": Function(le, 2),
    "gt": Function(gt, 2),
    "ge": Function(ge, 2),
    "call": Function(call, 1, variadic=True),
    "print": Function(lambda *args: sprint(list(args)), 0, True, ANY, ANY),
    "printf": Function(lambda fmt, *args: sprintf(fmt, list(args)), 1, True, STRING, ANY),
    "println": Function(lambda *args: sprintln(list(args)), 0, True, ANY, ANY),
    "html": Function(html, 0, True, ANY, ANY),
    "js": Function(js, 0, True, ANY, ANY),
    "urlquery": Function(urlquery, 0, True, ANY, ANY),
    "json": Function(to_json, 1, False, ANY),
    "currentDate": Function(current_date, 0, True, STRING, STRING),
    "yesterdayDate": Function(yesterday_date, 0, True, STRING, STRING),
    "toTypeScriptType": Function(to_typescript_type, 1, False, ANY),
}
