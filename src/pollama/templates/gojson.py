"""Go's encoding/json.Marshal: compact, HTML-safe, map keys sorted, floats formatted like Go.

Values that are Go structs (or Go types with their own JSON form) provide `__go_json__()`,
returning plain data; a `JSONObject` keeps its key order (struct fields), any other dict is a
Go map and is sorted.
"""

from __future__ import annotations

import base64
import math
from typing import Any

from pollama.go.strconv import format_float
from pollama.templates.gotypes import is_nil


class JSONObject(dict[str, Any]):
    """A JSON object whose keys keep their order (a Go struct's fields)."""


class UnsupportedValue(ValueError):
    """json: unsupported value (NaN or infinity)."""


_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


def encode_string(text: str) -> str:
    out = []
    for ch in text:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ch < " ":
            out.append(f"\\u00{ord(ch):02x}")
        elif "\ud800" <= ch <= "\udfff":
            out.append("\ufffd")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def encode_float(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        raise UnsupportedValue(f"json: unsupported value: {format_float(value)}")
    magnitude = abs(value)
    if magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21):
        text = format_float(value, "e")
        mantissa, _, exponent = text.partition("e")
        sign, digits = exponent[0], exponent[1:].lstrip("0") or "0"
        return f"{mantissa}e{sign}{digits}"  # Go writes 1e-7, not 1e-07
    return format_float(value, "f")


def _encode(value: Any, out: list[str]) -> None:
    hook = getattr(value, "__go_json__", None)
    if hook is not None:
        _encode(hook(), out)
    elif is_nil(value):
        out.append("null")
    elif isinstance(value, bool):
        out.append("true" if value else "false")
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(encode_float(value))
    elif isinstance(value, str):
        out.append(encode_string(value))
    elif isinstance(value, (bytes, bytearray)):
        out.append('"' + base64.b64encode(bytes(value)).decode() + '"')
    elif isinstance(value, dict):
        keys = list(value) if isinstance(value, JSONObject) else sorted(value, key=str)
        out.append("{")
        for i, key in enumerate(keys):
            if i:
                out.append(",")
            out.append(encode_string(str(key)))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, (list, tuple)):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise UnsupportedValue(f"json: unsupported type: {type(value).__name__}")


def marshal(value: Any) -> str:
    """The compact JSON Go's json.Marshal produces; raises UnsupportedValue."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)
