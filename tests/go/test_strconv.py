"""strconv, against the outputs Go documents and prints: Quote, QuoteRune, Unquote, ParseBool,
ParseInt, ParseFloat (bitSize 32), FormatFloat."""

from __future__ import annotations

import math

import pytest

from pollama.go.strconv import (
    SyntaxErr,
    format_float,
    parse_bool,
    parse_float32,
    parse_int64,
    quote,
    quote_rune,
    unquote,
    unquote_char_literal,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # the example of Go's strconv.Quote documentation
        ('"Fran & Freddie\'s Diner\t\u263a"', r'"\"Fran & Freddie' "'" r's Diner\t☺\""'),
        ("plain", '"plain"'),
        ("back\\slash", r'"back\\slash"'),
        ("line\nnext\ttab\rret", r'"line\nnext\ttab\rret"'),
        ("\a\b\f\v", r'"\a\b\f\v"'),
        ("\x00\x1b\x7f", r'"\x00\x1b\x7f"'),
        ("héllo 😀 日本", '"héllo 😀 日本"'),
        ("\u00a0", r'"\u00a0"'),  # not printable for Go: escaped
        ("\u200b", r'"\u200b"'),
        ("\U000e0001", r'"\U000e0001"'),
        ("\ud800", r'"\ufffd"'),  # no valid rune: U+FFFD
        ("'single'", "\"'single'\""),
    ],
)
def test_quote(text: str, expected: str) -> None:
    assert quote(text) == expected


@pytest.mark.parametrize(
    ("code", "expected"),
    [(0x263A, "'☺'"), (ord("'"), r"'\''"), (ord('"'), "'\"'"), (10, r"'\n'"),
     (0x7F, r"'\x7f'"), (0xD800, r"'�'"), (0x110000, r"'�'")],
)  # fmt: skip
def test_quote_rune(code: int, expected: str) -> None:
    assert quote_rune(code) == expected


def test_unquote_documented_examples() -> None:
    assert unquote('"The string must be either double-quoted"') == (
        "The string must be either double-quoted"
    )
    assert unquote("`or backquoted.`") == "or backquoted."
    for bad in ("You can't unquote a string without quotes", '"a\nb"', '"\\q"', '"open'):
        with pytest.raises(SyntaxErr, match="invalid syntax"):
            unquote(bad)


@pytest.mark.parametrize(
    ("literal", "expected"),
    [(r'"\x41\101\u00e9\U0001F600"', "AAé😀"), (r'"\xff"', "\ufffd"), ("`a\r\nb`", "a\nb"),
     (r'"tab\there"', "tab\there"), (r'"\""', '"')],
)  # fmt: skip
def test_unquote_escapes(literal: str, expected: str) -> None:
    assert unquote(literal) == expected


def test_unquote_char_literal() -> None:
    assert unquote_char_literal("'a'") == 97
    assert unquote_char_literal(r"'\n'") == 10
    assert unquote_char_literal(r"'\u263a'") == 0x263A
    with pytest.raises(SyntaxErr, match="malformed character constant"):
        unquote_char_literal("'ab'")


@pytest.mark.parametrize(
    ("text", "value"),
    [("1", True), ("t", True), ("T", True), ("TRUE", True), ("true", True), ("True", True),
     ("0", False), ("f", False), ("F", False), ("FALSE", False), ("false", False),
     ("False", False), ("yes", None), ("tRUE", None), ("", None), ("2", None), ("on", None)],
)  # fmt: skip
def test_parse_bool(text: str, value: bool | None) -> None:
    assert parse_bool(text) is value


@pytest.mark.parametrize(
    ("text", "value"),
    [("0", 0), ("+5", 5), ("-42", -42), ("9223372036854775807", 2**63 - 1),
     ("-9223372036854775808", -(2**63)), ("9223372036854775808", None), ("1_000", None),
     (" 5", None), ("0x10", None), ("", None), ("1.0", None)],
)  # fmt: skip
def test_parse_int64(text: str, value: int | None) -> None:
    assert parse_int64(text) == value


@pytest.mark.parametrize(
    ("text", "value"),
    [("0.7", 0.7), ("1", 1.0), ("-2.5", -2.5), (".5", 0.5), ("5.", 5.0), ("1e3", 1000.0),
     ("1_000.5", 1000.5), ("0x1p-2", 0.25), ("0x_1p0", 1.0), ("3.4028235e38", 3.4028235e38),
     ("1e39", None), ("1__0", None), ("_1", None), ("1_", None), ("abc", None), ("1e", None),
     ("", None), ("0x1", None)],
)  # fmt: skip
def test_parse_float32(text: str, value: float | None) -> None:
    assert parse_float32(text) == value


def test_parse_float32_specials() -> None:
    assert parse_float32("inf") == math.inf
    assert parse_float32("-Infinity") == -math.inf
    parsed = parse_float32("NaN")
    assert parsed is not None and math.isnan(parsed)


@pytest.mark.parametrize(
    ("value", "verb", "prec", "expected"),
    [
        # FormatFloat(3.1415926535, verb, prec, 64)
        (3.1415926535, "E", None, "3.1415926535E+00"),
        (3.1415926535, "e", 2, "3.14e+00"),
        (3.1415926535, "f", None, "3.1415926535"),
        (3.1415926535, "f", 3, "3.142"),
        (3.1415926535, "g", 3, "3.14"),
        (3.1415926535, "g", None, "3.1415926535"),
        (1e21, "f", None, "1000000000000000000000"),
        (1e21, "g", None, "1e+21"),
        (1e21, "G", None, "1E+21"),
        (123456.0, "g", None, "123456"),
        (1234567.0, "g", None, "1.234567e+06"),
        (0.0001, "g", None, "0.0001"),
        (0.00001, "g", None, "1e-05"),
        (-0.0, "g", None, "-0"),
        (0.0, "e", None, "0e+00"),
        (1.0, "x", None, "0x1p+00"),
        (-2.0, "X", None, "-0X1P+01"),
        (math.inf, "g", None, "+Inf"),
        (-math.inf, "f", 2, "-Inf"),
        (math.nan, "e", None, "NaN"),
    ],
)
def test_format_float(value: float, verb: str, prec: int | None, expected: str) -> None:
    assert format_float(value, verb, prec) == expected
