"""Go template number constants (text/template/parse.NewNumber); quoting is `go.strconv`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pollama.go.strconv import SyntaxErr, quote, unquote_char_literal


@dataclass(frozen=True, slots=True)
class Number:
    """A parsed numeric constant, with the Go flags saying which types can hold it."""

    is_int: bool = False
    is_uint: bool = False
    is_float: bool = False
    is_complex: bool = False
    int_value: int = 0
    float_value: float = 0.0
    complex_value: complex = 0j


_INT64 = (-(1 << 63), (1 << 63) - 1)
_UINT64_MAX = (1 << 64) - 1


def _parse_int_base0(text: str) -> int | None:
    """strconv.ParseInt/ParseUint with base 0 (no range check); None on a syntax error."""
    sign = -1 if text.startswith("-") else 1
    body = text[1:] if text[:1] in "+-" and text else text
    if not body:
        return None
    if body[0] == "0" and len(body) > 1 and body[1] not in "xXoObB":
        body = "0o" + body[1:]  # a leading 0 means octal in Go
    try:
        return sign * int(body, 0)
    except ValueError:
        return None


def _parse_float(text: str) -> float | None:
    cleaned = text.replace("_", "")
    try:
        if cleaned.lstrip("+-")[:2].lower() == "0x":
            return float.fromhex(cleaned)
        if "_" in text and not re.fullmatch(
            r"[+-]?\d+(_\d+)*(\.(\d+(_\d+)*)?)?([eE][+-]?\d+)?", text
        ):
            return None
        return float(cleaned)
    except ValueError:
        return None


def parse_number(text: str, *, is_char: bool = False, is_complex: bool = False) -> Number:
    """Go's parse.NewNumber: raises SyntaxErr with Go's message."""
    if is_char:
        code = unquote_char_literal(text)
        return Number(is_int=True, is_uint=True, is_float=True, int_value=code, float_value=code)
    if is_complex:
        try:
            value = complex(text.replace("_", "").replace("i", "j"))
        except ValueError as exc:
            raise SyntaxErr(f"illegal number syntax: {quote(text)}") from exc
        return _simplify_complex(value)
    if text.endswith("i"):
        imag = _parse_float(text[:-1])
        if imag is not None:
            return _simplify_complex(complex(0, imag))
    as_int = _parse_int_base0(text)
    if as_int is not None:
        fits_int = _INT64[0] <= as_int <= _INT64[1]
        fits_uint = 0 <= as_int <= _UINT64_MAX and not text.startswith(("+", "-"))
        if as_int == 0:
            fits_uint = True
        if fits_int or fits_uint:
            return Number(
                is_int=fits_int,
                is_uint=fits_uint,
                is_float=True,
                int_value=as_int,
                float_value=float(as_int),
            )
    parsed = _parse_float(text)
    if parsed is None:
        raise SyntaxErr(f"illegal number syntax: {quote(text)}")
    if not any(c in text for c in ".eEpP"):
        raise SyntaxErr(f"integer overflow: {quote(text)}")
    return _float_number(parsed)


def _float_number(value: float) -> Number:
    integral = value == value and value not in (float("inf"), float("-inf")) and value == int(value)
    as_int = int(value) if integral else 0
    return Number(
        is_int=integral and _INT64[0] <= as_int <= _INT64[1],
        is_uint=integral and 0 <= as_int <= _UINT64_MAX,
        is_float=True,
        int_value=as_int,
        float_value=value,
    )


def _simplify_complex(value: complex) -> Number:
    if value.imag == 0:
        real = _float_number(value.real)
        return Number(
            is_int=real.is_int,
            is_uint=real.is_uint,
            is_float=True,
            is_complex=True,
            int_value=real.int_value,
            float_value=value.real,
            complex_value=value,
        )
    return Number(is_complex=True, complex_value=value)
