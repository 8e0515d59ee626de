"""Go's fmt printing of template values: `%v` and friends, Sprint and Sprintln.

Floats print like Go (`1e+06`, `0.1`, `1.5`), maps as `map[k:v]` with sorted keys, slices as
`[a b]`, structs as `{a b}`, nil as `<nil>`; values with a Go String method print through it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from pollama.go.strconv import format_float, quote, quote_rune
from pollama.templates.gotypes import GoStruct, go_type_name, is_nil


@dataclass(frozen=True, slots=True)
class Spec:
    """One formatting directive: the verb, flags, width and precision of `%+08.3f`."""

    verb: str = "v"
    plus: bool = False
    minus: bool = False
    sharp: bool = False
    space: bool = False
    zero: bool = False
    width: int | None = None
    prec: int | None = None


V = Spec()


# --- padding and numbers --------------------------------------------------------------------


def pad(text: str, spec: Spec) -> str:
    if spec.width is None or len(text) >= spec.width:
        return text
    if spec.minus:
        return text.ljust(spec.width)
    return text.rjust(spec.width, "0" if spec.zero else " ")


def _pad_number(sign: str, body: str, spec: Spec, zero_ok: bool = True) -> str:
    """Pad a number, putting zero padding between the sign and the digits."""
    if spec.zero and zero_ok and not spec.minus and spec.width is not None:
        return sign + body.rjust(spec.width - len(sign), "0")
    return pad(sign + body, replace(spec, zero=False))


def _sign(negative: bool, spec: Spec) -> str:
    if negative:
        return "-"
    return "+" if spec.plus else (" " if spec.space else "")


_INT_BASES = {"b": (2, "0b"), "o": (8, "0"), "O": (8, "0o"), "x": (16, "0x"), "X": (16, "0X")}


def format_int(value: int, spec: Spec) -> str:
    verb = spec.verb
    if verb == "c":
        return pad(chr(value) if 0 <= value <= 0x10FFFF else "\ufffd", spec)
    if verb == "q":
        return pad(quote_rune(value), spec)
    if verb == "U":
        text = f"U+{value:04X}"
        if spec.sharp and 0 <= value <= 0x10FFFF and chr(value).isprintable():
            text += f" '{chr(value)}'"
        return pad(text, spec)
    if verb in ("v", "d"):
        digits, prefix = str(abs(value)), ""
    elif verb in _INT_BASES:
        base, prefix = _INT_BASES[verb]
        digits = {2: f"{abs(value):b}", 8: f"{abs(value):o}", 16: f"{abs(value):x}"}[base]
        digits = digits.upper() if verb == "X" else digits
        if not spec.sharp and verb != "O":
            prefix = ""
    else:
        return bad_verb(value, spec)
    if spec.prec is not None:
        digits = "" if spec.prec == 0 and value == 0 else digits.rjust(spec.prec, "0")
    return _pad_number(_sign(value < 0, spec), prefix + digits, spec, spec.prec is None)


def _format_float_value(value: float, spec: Spec) -> str:
    verb = "g" if spec.verb == "v" else spec.verb
    if verb not in "eEfFgGxX":
        return bad_verb(value, spec)
    prec = spec.prec
    if prec is None and verb in "eEfF":
        prec = 6
    text = format_float(value, "f" if verb == "F" else verb, prec)
    negative = text.startswith("-")
    body = text.lstrip("+-")
    if body in ("Inf", "NaN"):
        sign = "-" if negative else ("+" if body == "Inf" or spec.plus else "")
        return pad(sign + body, replace(spec, zero=False))
    return _pad_number(_sign(negative, spec), body, spec)


def _format_complex(value: complex, spec: Spec) -> str:
    real = _format_float_value(value.real, replace(spec, width=None))
    imag = _format_float_value(value.imag, replace(spec, width=None, plus=True))
    return pad(f"({real}{imag}i)", spec)


def format_string(text: str, spec: Spec) -> str:
    verb = spec.verb
    if spec.prec is not None:
        text = text[: spec.prec]
    if verb in ("v", "s"):
        return pad(text, spec)
    if verb == "q":
        return pad(quote(text), spec)
    if verb in ("x", "X"):
        return pad(_hex_bytes(text.encode(), spec), spec)
    return bad_verb(text, spec)


def _hex_bytes(data: bytes, spec: Spec) -> str:
    pieces = [f"{b:02x}" for b in data]
    prefix = "0x" if spec.sharp else ""
    if spec.space:
        text = " ".join(prefix + piece for piece in pieces)
    else:
        text = prefix + "".join(pieces) if pieces else ""
    return text.upper() if spec.verb == "X" else text


def bad_verb(value: Any, spec: Spec) -> str:
    if is_nil(value):
        return f"%!{spec.verb}(<nil>)"
    return f"%!{spec.verb}({go_type_name(value)}={format_value(value)})"


# --- any value ------------------------------------------------------------------------------


def _sort_key(key: Any) -> tuple[int, Any]:
    if isinstance(key, bool):
        return (0, key)
    if isinstance(key, (int, float)):
        return (1, key)
    return (2, str(key))


def _format_struct(value: GoStruct, spec: Spec) -> str:
    parts = []
    for name in value.go_fields():
        text = format_value(getattr(value, name), spec, nested=True)
        parts.append(f"{name}:{text}" if spec.plus and spec.verb == "v" else text)
    return ("&" if value.go_pointer else "") + "{" + " ".join(parts) + "}"


def format_value(value: Any, spec: Spec = V, *, nested: bool = False) -> str:
    """Format one operand the way Go's fmt does for the verb in `spec`."""
    verb = spec.verb
    if verb == "T":
        return pad("<nil>" if is_nil(value) else go_type_name(value), spec)
    if verb == "v" and spec.sharp and isinstance(value, str):
        return pad(quote(value), spec)  # %#v: Go syntax
    if is_nil(value):
        return pad("<nil>", spec) if verb == "v" else bad_verb(value, spec)
    go_str = getattr(value, "__go_str__", None)
    if go_str is not None and verb in "vsxXq":
        return format_string(go_str(), spec)
    if isinstance(value, bool):
        return pad("true" if value else "false", spec) if verb in "vt" else bad_verb(value, spec)
    if isinstance(value, int):
        return format_int(value, spec)
    if isinstance(value, float):
        return _format_float_value(value, spec)
    if isinstance(value, complex):
        return _format_complex(value, spec)
    if isinstance(value, str):
        return format_string(value, spec)
    if isinstance(value, (bytes, bytearray)) and verb in "sqxX":
        return format_string(bytes(value).decode("utf-8", "replace"), spec)
    if isinstance(value, (list, tuple, bytes, bytearray)):
        return "[" + " ".join(format_value(item, spec, nested=True) for item in value) + "]"
    if isinstance(value, dict):
        items = sorted(value.items(), key=lambda kv: _sort_key(kv[0]))
        inner = (f"{format_value(k, spec)}:{format_value(v, spec, nested=True)}" for k, v in items)
        return "map[" + " ".join(inner) + "]"
    if isinstance(value, GoStruct):
        return _format_struct(value, spec)
    if callable(value):
        return pad("0x" + format(id(value), "x"), spec)
    return pad(str(value), spec)


def sprint(args: list[Any]) -> str:
    """fmt.Sprint: operands in %v, with spaces between operands when neither is a string."""
    out: list[str] = []
    previous_string = False
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if i > 0 and not is_string and not previous_string:
            out.append(" ")
        out.append(format_value(arg))
        previous_string = is_string
    return "".join(out)


def sprintln(args: list[Any]) -> str:
    """fmt.Sprintln: operands in %v, always space-separated, plus a newline."""
    return " ".join(format_value(arg) for arg in args) + "\n"
