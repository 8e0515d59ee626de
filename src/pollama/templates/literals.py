"""Go literal syntax: quoting (strconv.Quote), unquoting (strconv.Unquote) and numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SHORT_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}
_UNESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
_HEX_LEN = {"x": 2, "u": 4, "U": 8}


def _escape_rune(ch: str, quote: str) -> str:
    if ch == quote or ch == "\\":
        return "\\" + ch
    if ch.isprintable():
        return ch
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:
        code = 0xFFFD
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def go_quote(text: str) -> str:
    """strconv.Quote: a double-quoted Go string literal."""
    return '"' + "".join(_escape_rune(ch, '"') for ch in text) + '"'


def go_quote_rune(code: int) -> str:
    """strconv.QuoteRune: a single-quoted Go character literal."""
    if code < 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        code = 0xFFFD
    return "'" + _escape_rune(chr(code), "'") + "'"


class SyntaxErr(ValueError):
    """strconv.ErrSyntax and friends; str() is Go's message."""


def _unquote_char(text: str, i: int, quote: str) -> tuple[int, bool, int]:
    """One (possibly escaped) character at text[i]: (value, is_rune, next index).

    `is_rune` is False for \\x and octal escapes, which denote single bytes.
    """
    ch = text[i]
    if ch == quote and quote in "'\"":
        raise SyntaxErr("invalid syntax")
    if ch != "\\":
        return ord(ch), True, i + 1
    if i + 1 >= len(text):
        raise SyntaxErr("invalid syntax")
    kind = text[i + 1]
    if kind in _UNESCAPES:
        return _UNESCAPES[kind], True, i + 2
    if kind in _HEX_LEN:
        digits = text[i + 2 : i + 2 + _HEX_LEN[kind]]
        if len(digits) < _HEX_LEN[kind] or not re.fullmatch(r"[0-9a-fA-F]+", digits):
            raise SyntaxErr("invalid syntax")
        value = int(digits, 16)
        if kind == "x":
            return value, False, i + 4
        if value > 0x10FFFF or 0xD800 <= value <= 0xDFFF:
            raise SyntaxErr("invalid syntax")
        return value, True, i + 2 + _HEX_LEN[kind]
    if kind in "01234567":
        digits = text[i + 1 : i + 4]
        if len(digits) < 3 or not re.fullmatch(r"[0-7]{3}", digits) or int(digits, 8) > 255:
            raise SyntaxErr("invalid syntax")
        return int(digits, 8), False, i + 4
    if kind in "'\"" and kind == quote:
        return ord(kind), True, i + 2
    raise SyntaxErr("invalid syntax")


def unquote(literal: str) -> str:
    """strconv.Unquote for a "double-quoted" or `raw` string literal."""
    if len(literal) < 2 or literal[0] != literal[-1] or literal[0] not in '"`':
        raise SyntaxErr("invalid syntax")
    body = literal[1:-1]
    if literal[0] == "`":
        if "`" in body:
            raise SyntaxErr("invalid syntax")
        return body.replace("\r", "")
    out = bytearray()
    i = 0
    while i < len(body):
        if body[i] == "\n":
            raise SyntaxErr("invalid syntax")
        value, is_rune, i = _unquote_char(body, i, '"')
        if is_rune:
            out += chr(value).encode("utf-8", "surrogatepass")
        else:
            out.append(value)
    return out.decode("utf-8", "replace")


def unquote_char_literal(literal: str) -> int:
    """The code point of a 'c' character constant."""
    if len(literal) < 3:
        raise SyntaxErr("invalid syntax")
    value, _, end = _unquote_char(literal, 1, "'")
    if literal[end:] != "'":
        raise SyntaxErr(f"malformed character constant: {literal}")
    return value


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
            raise SyntaxErr(f"illegal number syntax: {go_quote(text)}") from exc
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
        raise SyntaxErr(f"illegal number syntax: {go_quote(text)}")
    if not any(c in text for c in ".eEpP"):
        raise SyntaxErr(f"integer overflow: {go_quote(text)}")
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
