"""Ollama's runtime options: the table, the two decoding rules, layering, and Go formatting.

There are two ways an option value arrives, each with Ollama's own rule:

- typed JSON (request `options`, a stored params layer, `/api/create` `parameters`):
  `decode_options`, Ollama's `Options.FromMap` (unknown keys ignored, wrong types are a 500);
- text (a Modelfile `PARAMETER` line, the REPL's `/set parameter`): `parse_parameter`, Ollama's
  `FormatParams` (Go's strconv parsers; unknown names are an error, removed names a warning).

Effective options are `defaults() <- model params <- request options`, later wins per key.
The `go_*` helpers print values the way Go's fmt does, for `/api/show` and rendered Modelfiles.
"""

from __future__ import annotations

import math
import re
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from typing import Any

from pollama.errors import BadRequest, PollamaError


class OptionKind(Enum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STRINGS = "str-list"


@dataclass(frozen=True)
class OptionSpec:
    name: str
    kind: OptionKind
    default: Any  # None: unset unless a layer sets it
    load_time: bool  # True: fixed when the model is loaded; False: per request (sampling)


_INT, _FLOAT, _BOOL = OptionKind.INT, OptionKind.FLOAT, OptionKind.BOOL

OPTIONS: dict[str, OptionSpec] = {
    spec.name: spec
    for spec in (
        OptionSpec("num_ctx", _INT, 4096, True),
        OptionSpec("num_batch", _INT, 512, True),
        OptionSpec("num_gpu", _INT, -1, True),
        OptionSpec("main_gpu", _INT, None, True),
        OptionSpec("use_mmap", _BOOL, None, True),
        OptionSpec("num_thread", _INT, 0, True),
        OptionSpec("num_keep", _INT, 4, False),
        OptionSpec("seed", _INT, -1, False),
        OptionSpec("num_predict", _INT, -1, False),
        OptionSpec("top_k", _INT, 40, False),
        OptionSpec("top_p", _FLOAT, 0.9, False),
        OptionSpec("min_p", _FLOAT, 0.0, False),
        OptionSpec("typical_p", _FLOAT, 1.0, False),
        OptionSpec("repeat_last_n", _INT, 64, False),
        OptionSpec("temperature", _FLOAT, 0.8, False),
        OptionSpec("repeat_penalty", _FLOAT, 1.0, False),
        OptionSpec("presence_penalty", _FLOAT, 0.0, False),
        OptionSpec("frequency_penalty", _FLOAT, 0.0, False),
        OptionSpec("stop", OptionKind.STRINGS, None, False),
        OptionSpec("draft_num_predict", _INT, None, False),  # speculative decoding (unused)
    )
}

LOAD_OPTIONS = frozenset(name for name, spec in OPTIONS.items() if spec.load_time)
SAMPLING_OPTIONS = frozenset(name for name, spec in OPTIONS.items() if not spec.load_time)

# Options Ollama removed over time: ignored on the API, a warning in a Modelfile.
DEPRECATED_OPTIONS = frozenset(
    {
        "penalize_newline",
        "low_vram",
        "f16_kv",
        "logits_all",
        "vocab_only",
        "use_mlock",
        "mirostat",
        "mirostat_tau",
        "mirostat_eta",
        "tfs_z",
        "numa",
    }
)


class ParameterError(BadRequest):
    """A `PARAMETER` / `/set parameter` value that does not parse, or an unknown name."""


class DeprecatedParameter(Warning):
    """Raised by `parse_parameter` for a removed option; str() is the line Ollama prints."""

    def __init__(self, name: str) -> None:
        super().__init__(f"warning: parameter {name} is deprecated")
        self.name = name


# ---------------------------------------------------------------------------------------------
# Layers


def defaults() -> dict[str, Any]:
    """pollama's defaults; options without one (stop, main_gpu, use_mmap, ...) are absent."""
    return {name: spec.default for name, spec in OPTIONS.items() if spec.default is not None}


def merge(*layers: Mapping[str, Any] | None) -> dict[str, Any]:
    """Merge option layers, later wins per key; None layers and None values are skipped."""
    merged: dict[str, Any] = {}
    for layer in layers:
        for key, value in (layer or {}).items():
            if value is not None:
                merged[key] = value
    return merged


def effective(
    model_params: Mapping[str, Any] | None,
    request_options: Mapping[str, Any] | None,
    *,
    base: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """`base` (default `defaults()`) <- model params <- request options, both decoded."""
    return merge(
        defaults() if base is None else base,
        decode_options(model_params),
        decode_options(request_options),
    )


def split_options(options: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split into (load-time, per-request) options; unknown keys are dropped."""
    load = {k: v for k, v in options.items() if k in LOAD_OPTIONS}
    sampling = {k: v for k, v in options.items() if k in SAMPLING_OPTIONS}
    return load, sampling


# ---------------------------------------------------------------------------------------------
# Typed JSON: Options.FromMap


def _type_error(key: str, what: str) -> PollamaError:
    return PollamaError(f"option {go_quote(key)} must be {what}", 500)


# Options whose negative values mean nothing (0 = the default): refused with a 400, as a
# negative batch would otherwise fail the load with a 500.
_NON_NEGATIVE = frozenset({"num_batch"})


def decode_options(raw: Mapping[str, Any] | None) -> dict[str, Any]:
    """Decode a JSON options map as Ollama does; type errors are 500s with Ollama's texts,
    values out of range are 400s."""
    decoded: dict[str, Any] = {}
    for key, value in (raw or {}).items():
        spec = OPTIONS.get(key)
        if spec is None or value is None:
            continue  # unknown (including removed) options and nulls are ignored
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        if spec.kind is OptionKind.INT:
            if not is_number or (isinstance(value, float) and not math.isfinite(value)):
                raise _type_error(key, "of type integer")
            # JSON numbers truncate toward zero; kept inside Go's int64
            decoded[key] = min(max(int(value), _INT64_MIN), _INT64_MAX)
            if key in _NON_NEGATIVE and decoded[key] < 0:
                raise BadRequest(f"option {go_quote(key)} must not be negative")
        elif spec.kind is OptionKind.FLOAT:
            if not is_number:
                raise _type_error(key, "of type float32")
            try:
                decoded[key] = float(value)
            except OverflowError:  # an integer beyond any float
                raise BadRequest(f"option {go_quote(key)} is out of range") from None
        elif spec.kind is OptionKind.BOOL:
            if not isinstance(value, bool):
                raise _type_error(key, "of type boolean")
            decoded[key] = value
        else:
            if not isinstance(value, list | tuple):
                raise _type_error(key, "of type array")
            if not all(isinstance(item, str) for item in value):
                raise _type_error(key, "of an array of strings")
            decoded[key] = list(value)
    return decoded


# ---------------------------------------------------------------------------------------------
# Text: FormatParams, with Go's strconv rules


def parse_parameter(name: str, values: list[str]) -> Any:
    """Type the text value(s) of one parameter as Ollama's `FormatParams` does.

    `stop` keeps every value (a list); other options use the first one. Raises
    `DeprecatedParameter` for removed options and `ParameterError` otherwise.
    """
    if name in DEPRECATED_OPTIONS:
        raise DeprecatedParameter(name)
    spec = OPTIONS.get(name)
    if spec is None:
        raise ParameterError(f"unknown parameter '{name}'")
    if spec.kind is OptionKind.STRINGS:
        return list(values)
    text = values[0] if values else ""
    shown = "[" + " ".join(values) + "]"  # Go's %s of a []string
    if spec.kind is OptionKind.FLOAT:
        number = _go_parse_float32(text)
        if number is None:
            raise ParameterError(f"invalid float value {shown}")
        return number
    if spec.kind is OptionKind.INT:
        integer = _go_parse_int64(text)
        if integer is None:
            raise ParameterError(f"invalid int value {shown}")
        return integer
    flag = _GO_BOOLS.get(text)
    if flag is None:
        raise ParameterError(f"invalid bool value {shown}")
    return flag


_GO_BOOLS = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}
_GO_INT = re.compile(r"[+-]?[0-9]+")
_GO_DECIMAL_FLOAT = re.compile(
    r"[+-]?(?:[0-9_]*[0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?"
)
_GO_HEX_FLOAT = re.compile(
    r"[+-]?0[xX](?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)[pP][+-]?[0-9_]+"
)
_GO_SPECIAL_FLOAT = re.compile(r"[+-]?inf(?:inity)?|nan", re.IGNORECASE)
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1


def _go_parse_int64(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64): ASCII digits, optional sign, no underscores, in range."""
    if not _GO_INT.fullmatch(text):
        return None
    value = int(text)
    return value if _INT64_MIN <= value <= _INT64_MAX else None


def _go_underscores_ok(text: str) -> bool:
    """Go's rule: an underscore only between digits (or after a base prefix)."""
    body = text.lstrip("+-")
    hex_digits = body[:2].lower() == "0x"
    previous = "digit" if hex_digits else "start"
    for ch in body[2:] if hex_digits else body:
        if ch.isdigit() or (hex_digits and ch.lower() in "abcdef"):
            previous = "digit"
        elif ch == "_":
            if previous != "digit":
                return False
            previous = "_"
        elif previous == "_":
            return False
        else:
            previous = "other"
    return previous != "_"


def _go_parse_float32(text: str) -> float | None:
    """strconv.ParseFloat(text, 32), returned as the shortest decimal that names the float32.

    So "0.7" gives 0.7 (not 0.699999988...), as Go prints a float32, while "1e39" (beyond
    float32) is an error as in Go.
    """
    if _GO_SPECIAL_FLOAT.fullmatch(text):
        return float(text)
    is_hex = bool(_GO_HEX_FLOAT.fullmatch(text))
    if not is_hex and not _GO_DECIMAL_FLOAT.fullmatch(text):
        return None
    if "_" in text and not _go_underscores_ok(text):
        return None
    digits = text.replace("_", "")
    try:
        value = float.fromhex(digits) if is_hex else float(digits)
        single = struct.unpack("<f", struct.pack("<f", value))[0]
    except OverflowError:
        return None  # ErrRange: beyond float32
    if math.isinf(single):
        return None
    for precision in range(1, 10):  # shortest digits that round-trip through float32
        candidate = float(f"{single:.{precision}g}")
        if struct.unpack("<f", struct.pack("<f", candidate))[0] == single:
            return candidate
    return single


# ---------------------------------------------------------------------------------------------
# Go fmt


def go_value(value: Any) -> str:
    """Go's `%v`: 0.7, 4096, true, strings bare, lists as [a b]."""
    if value is None:
        return "<nil>"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return go_float(value)
    if isinstance(value, list | tuple):
        return "[" + " ".join(go_value(item) for item in value) + "]"
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: str(kv[0]))
        return "map[" + " ".join(f"{k}:{go_value(v)}" for k, v in items) + "]"
    return str(value)


def go_quote(value: Any) -> str:
    """Go's `%#v`: strings double-quoted with Go escapes; numbers and bools as `%v`."""
    if isinstance(value, str):
        return _go_quote_string(value)
    if isinstance(value, list | tuple):
        return "[]interface {}{" + ", ".join(go_quote(item) for item in value) + "}"
    return go_value(value)


def go_float(value: float) -> str:
    """Go's `%v` of a float: shortest digits, exponent form below 1e-4 or from 1e6."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, value) < 0 else ""
    if value == 0:
        return sign + "0"
    mantissa, _, exponent = repr(abs(value)).partition("e")  # repr: shortest round trip
    whole, _, fraction = mantissa.partition(".")
    all_digits = whole + fraction
    digits = all_digits.lstrip("0")
    point = len(whole) + int(exponent or 0) - (len(all_digits) - len(digits))
    digits = digits.rstrip("0")
    exp10 = point - 1
    if exp10 < -4 or exp10 >= 6:
        rest = "." + digits[1:] if len(digits) > 1 else ""
        return f"{sign}{digits[0]}{rest}e{'-' if exp10 < 0 else '+'}{abs(exp10):02d}"
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


_GO_ESCAPES = {"\a": r"\a", "\b": r"\b", "\f": r"\f", "\n": r"\n", "\r": r"\r", "\t": r"\t"}
_GO_ESCAPES["\v"] = r"\v"


def _go_quote_string(text: str) -> str:
    """strconv.Quote: printable runes kept, the rest escaped as Go does."""
    out = ['"']
    for ch in text:
        code = ord(ch)
        if ch in ('"', "\\"):
            out.append("\\" + ch)
        elif ch.isprintable():
            out.append(ch)
        elif ch in _GO_ESCAPES:
            out.append(_GO_ESCAPES[ch])
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif 0xD800 <= code <= 0xDFFF:  # not a valid rune: Go writes U+FFFD
            out.append("\\ufffd")
        elif code < 0x10000:
            out.append(f"\\u{code:04x}")
        else:
            out.append(f"\\U{code:08x}")
    out.append('"')
    return "".join(out)


def format_show_parameters(params: Mapping[str, Any]) -> str:
    """The `/api/show` `parameters` text: `%-30s %#v` per value, one line per list element."""
    lines: list[str] = []
    for key, value in params.items():
        values = value if isinstance(value, list | tuple) else [value]
        lines.extend(f"{key:<30} {go_quote(item)}" for item in values)
    return "\n".join(lines)
