"""Go's `strconv`: quoting and unquoting literals, parsing bools and numbers, FormatFloat.

Each function names the Go function it reproduces; where Go returns an error, these return
None (the parsers) or raise `SyntaxErr` carrying Go's message (the unquoters).
"""

from __future__ import annotations

import math
import re
import struct

# --- Quote, QuoteRune -------------------------------------------------------------------------

_SHORT_ESCAPES = {
    "\a": "\\a",
    "\b": "\\b",
    "\f": "\\f",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\v": "\\v",
}


def _escape_rune(ch: str, quote_char: str) -> str:
    if ch == quote_char or ch == "\\":
        return "\\" + ch
    if ch.isprintable():
        return ch
    if ch in _SHORT_ESCAPES:
        return _SHORT_ESCAPES[ch]
    code = ord(ch)
    if code < 0x20 or code == 0x7F:
        return f"\\x{code:02x}"
    if 0xD800 <= code <= 0xDFFF:  # not a valid rune: Go writes U+FFFD
        code = 0xFFFD
    if code < 0x10000:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def quote(text: str) -> str:
    """strconv.Quote: a double-quoted Go string literal, printable runes kept as they are."""
    return '"' + "".join(_escape_rune(ch, '"') for ch in text) + '"'


def quote_rune(code: int) -> str:
    """strconv.QuoteRune: a single-quoted Go character literal."""
    if code < 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        code = 0xFFFD
    return "'" + _escape_rune(chr(code), "'") + "'"


# --- Unquote ----------------------------------------------------------------------------------


class SyntaxErr(ValueError):
    """strconv.ErrSyntax and friends; str() is Go's message."""


_UNESCAPES = {"a": 7, "b": 8, "f": 12, "n": 10, "r": 13, "t": 9, "v": 11, "\\": 92}
_HEX_LEN = {"x": 2, "u": 4, "U": 8}


def _unquote_char(text: str, i: int, quote_char: str) -> tuple[int, bool, int]:
    """One (possibly escaped) character at text[i]: (value, is_rune, next index).

    `is_rune` is False for \\x and octal escapes, which denote single bytes.
    """
    ch = text[i]
    if ch == quote_char and quote_char in "'\"":
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
    if kind in "'\"" and kind == quote_char:
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
    """The code point of a 'c' character constant (strconv.UnquoteChar inside quotes)."""
    if len(literal) < 3:
        raise SyntaxErr("invalid syntax")
    value, _, end = _unquote_char(literal, 1, "'")
    if literal[end:] != "'":
        raise SyntaxErr(f"malformed character constant: {literal}")
    return value


# --- ParseBool, ParseInt, ParseFloat ----------------------------------------------------------

_BOOLS = {
    **dict.fromkeys(("1", "t", "T", "TRUE", "true", "True"), True),
    **dict.fromkeys(("0", "f", "F", "FALSE", "false", "False"), False),
}
_INT = re.compile(r"[+-]?[0-9]+")
_DECIMAL_FLOAT = re.compile(
    r"[+-]?(?:[0-9_]*[0-9][0-9_]*\.?[0-9_]*|\.[0-9_]+)(?:[eE][+-]?[0-9_]+)?"
)
_HEX_FLOAT = re.compile(
    r"[+-]?0[xX](?:[0-9a-fA-F_]+\.?[0-9a-fA-F_]*|\.[0-9a-fA-F_]+)[pP][+-]?[0-9_]+"
)
_SPECIAL_FLOAT = re.compile(r"[+-]?inf(?:inity)?|nan", re.IGNORECASE)
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1


def parse_bool(text: str) -> bool | None:
    """strconv.ParseBool: 1 t T TRUE true True / 0 f F FALSE false False; None otherwise."""
    return _BOOLS.get(text)


def parse_int64(text: str) -> int | None:
    """strconv.ParseInt(text, 10, 64): ASCII digits, optional sign, no underscores, in range."""
    if not _INT.fullmatch(text):
        return None
    value = int(text)
    return value if INT64_MIN <= value <= INT64_MAX else None


def _underscores_ok(text: str) -> bool:
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


def _as_float32(value: float) -> float:
    single: float = struct.unpack("<f", struct.pack("<f", value))[0]
    return single


def parse_float32(text: str) -> float | None:
    """strconv.ParseFloat(text, 32), returned as the shortest decimal that names the float32.

    So "0.7" gives 0.7 (not 0.699999988...), as Go prints a float32, while "1e39" (beyond
    float32) is an error (None) as in Go.
    """
    if _SPECIAL_FLOAT.fullmatch(text):
        return float(text)
    is_hex = bool(_HEX_FLOAT.fullmatch(text))
    if not is_hex and not _DECIMAL_FLOAT.fullmatch(text):
        return None
    if "_" in text and not _underscores_ok(text):
        return None
    digits = text.replace("_", "")
    try:
        value = float.fromhex(digits) if is_hex else float(digits)
        single = _as_float32(value)
    except OverflowError:
        return None  # ErrRange: beyond float32
    if math.isinf(single):
        return None
    for precision in range(1, 10):  # shortest digits that round-trip through float32
        candidate = float(f"{single:.{precision}g}")
        try:
            if _as_float32(candidate) == single:
                return candidate
        except OverflowError:  # rounded past the largest float32: more digits are needed
            continue
    return single


# --- FormatFloat ------------------------------------------------------------------------------


def _shortest_digits(x: float) -> tuple[str, int]:
    """Shortest round-trip digits of x > 0 and the decimal point position: x = 0.DIGITS * 10**dp."""
    mantissa, _, exponent = repr(x).partition("e")  # repr: the shortest round trip
    whole, _, frac = mantissa.partition(".")
    digits = whole + frac
    dp = len(whole) + (int(exponent) if exponent else 0)
    stripped = digits.lstrip("0")
    dp -= len(digits) - len(stripped)
    return (stripped.rstrip("0") or "0"), dp


def _exp_suffix(exp: int, letter: str) -> str:
    return f"{letter}{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _shortest_e(digits: str, dp: int, letter: str) -> str:
    head = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return head + _exp_suffix(dp - 1 if digits != "0" else 0, letter)


def _shortest_f(digits: str, dp: int) -> str:
    if digits == "0":
        return "0"
    whole = digits[:dp].ljust(dp, "0") if dp > 0 else "0"
    frac = ("0" * -dp + digits) if dp < 0 else digits[dp:]
    return whole + ("." + frac if frac else "")


def _hex_float(x: float, upper: bool, prec: int | None) -> str:
    if x == 0:
        text = "0x0" + ("." + "0" * prec if prec else "") + "p+00"
    else:
        mantissa, _, exp = float.hex(abs(x))[2:].partition("p")
        whole, _, frac = mantissa.partition(".")
        # (truncating instead of rounding is close enough for the rare %.Nx)
        frac = frac.rstrip("0") if prec is None else frac[:prec].ljust(prec, "0")
        text = "0x" + whole + ("." + frac if frac else "") + _exp_suffix(int(exp), "p")
    return text.upper() if upper else text


def format_float(x: float, verb: str = "g", prec: int | None = None) -> str:
    """strconv.FormatFloat(x, verb, prec or -1, 64); the sign only when negative.

    The default (`'g'`, shortest) is also fmt's `%v` of a float: shortest digits, exponent form
    when the exponent is below -4 or from 6 on (`1e+06`, `1e-05`, `0.0001`, `123456`).
    """
    if math.isnan(x):
        return "NaN"
    if math.isinf(x):
        return "+Inf" if x > 0 else "-Inf"
    sign = "-" if math.copysign(1.0, x) < 0 else ""
    ax = abs(x)
    lower = verb.lower()
    if lower == "x":
        return sign + _hex_float(ax, verb == "X", prec)
    if prec is not None and lower in "ef":
        return sign + f"{ax:.{prec}{verb}}"
    if prec is not None and lower == "g":
        return sign + f"{ax:.{max(prec, 1)}{verb}}"
    digits, dp = _shortest_digits(ax) if ax else ("0", 1)
    letter = "E" if verb in "EG" else "e"
    if lower == "e":
        return sign + _shortest_e(digits, dp, letter)
    if lower == "f":
        return sign + _shortest_f(digits, dp)
    exp = dp - 1 if digits != "0" else 0
    if exp < -4 or exp >= 6:
        return sign + _shortest_e(digits, dp, letter)
    return sign + _shortest_f(digits, dp)
