"""Go's printing of values (%v and printf verbs) and encoding/json."""

# ruff: noqa: E501 - templates and expected prompts read best unwrapped

from __future__ import annotations

from typing import Any

import pytest

from pollama.go.strconv import format_float
from pollama.templates.gojson import JSONObject, marshal
from pollama.templates.printf import sprintf
from pollama.templates.printing import format_value, sprint, sprintln


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.0, "0"),
        (-0.0, "-0"),
        (1.0, "1"),
        (0.1, "0.1"),
        (1.5, "1.5"),
        (100.0, "100"),
        (123456.0, "123456"),
        (1234567.0, "1.234567e+06"),
        (1e6, "1e+06"),
        (1e21, "1e+21"),
        (0.0001, "0.0001"),
        (0.00001, "1e-05"),
        (2.5e-10, "2.5e-10"),
        (1 / 3, "0.3333333333333333"),
        (float("inf"), "+Inf"),
        (float("-inf"), "-Inf"),
        (float("nan"), "NaN"),
    ],
)
def test_float_v(value: float, expected: str) -> None:
    assert format_float(value) == expected
    assert format_value(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "<nil>"),
        (True, "true"),
        (False, "false"),
        (42, "42"),
        (-7, "-7"),
        ("text", "text"),
        (["a", 1, None, 2.5], "[a 1 <nil> 2.5]"),
        ({"b": 1, "a": [True]}, "map[a:[true] b:1]"),
        ({}, "map[]"),
        ([], "[]"),
        ([[1, 2], {"k": "v"}], "[[1 2] map[k:v]]"),
        (b"\x01\x02", "[1 2]"),
        (1 + 2j, "(1+2i)"),
    ],
)
def test_value_v(value: Any, expected: str) -> None:
    assert format_value(value) == expected


@pytest.mark.parametrize(
    ("fmt", "args", "expected"),
    [
        ("%d %s %v", [1, "a", [1, "b"]], "1 a [1 b]"),
        ("%q", ["hi\n\"x\""], '"hi\\n\\"x\\""'),
        ("%q", [97], "'a'"),
        ("%x %X %#x %o %#o %b", [255, 255, 255, 8, 8, 5], "ff FF 0xff 10 010 101"),
        ("%x %X % x", ["hi", "hi", "hi"], "6869 6869 68 69"),
        ("%f %.2f %.0f %e %.3e %g %G", [1.5, 3.14159, 2.5, 1234.5678, 1234.5678, 1e6, 1e-10],
         "1.500000 3.14 2 1.234568e+03 1.235e+03 1e+06 1E-10"),
        ("%t %t", [True, False], "true false"),
        ("%c%c", [72, 0x1F600], "H\U0001f600"),
        ("%U %#U", [0x41, 0x41], "U+0041 U+0041 'A'"),
        ("%%", [], "%"),
        ("%5d|%-5d|%05d|%+d|% d", [3, 4, 5, 6, 7], "    3|4    |00005|+6| 7"),
        ("%6.2f|%-8s|%08.3f|%+.1e", [3.14159, "ab", -3.14159, 12345.678], "  3.14|ab      |-003.142|+1.2e+04"),
        ("%.3s|%5.1s|", ["abcdef", "xyz"], "abc|    x|"),
        ("%*d", [4, 7], "   7"),
        ("%v %d", [[1, 2], [3, 4]], "[1 2] [3 4]"),
        ("%s", [["a", "b"]], "[a b]"),
        ("%v", [None], "<nil>"),
        ("%x", [1.5], "0x1.8p+00"),
        ("%T %T %T %T %T", [1, 1.5, "s", [1], None], "int float64 string []interface {} <nil>"),
        ("%#v %#v", ["str", 42], '"str" 42'),
    ],
)  # fmt: skip
def test_printf(fmt: str, args: list[Any], expected: str) -> None:
    assert sprintf(fmt, args) == expected


@pytest.mark.parametrize(
    ("fmt", "args", "expected"),
    [
        ("%d", ["x"], "%!d(string=x)"),
        ("%s", [5], "%!s(int=5)"),
        ("%d", [1.5], "%!d(float64=1.5)"),
        ("%t", [1], "%!t(int=1)"),
        ("%s", [None], "%!s(<nil>)"),
        ("%d", [], "%!d(MISSING)"),
        ("%d", [1, 2, "x"], "1%!(EXTRA int=2, string=x)"),
        ("%z", [1], "%!z(int=1)"),
        ("abc%", [], "abc%!(NOVERB)"),
    ],
)
def test_printf_problems_reported_inline(fmt: str, args: list[Any], expected: str) -> None:
    assert sprintf(fmt, args) == expected


def test_sprint_spacing() -> None:
    assert sprint(["a", "b"]) == "ab"
    assert sprint([1, 2]) == "1 2"
    assert sprint(["a", 1, 2, "b", True]) == "a1 2btrue"
    assert sprintln(["a", 1]) == "a 1\n"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, "null"),
        (True, "true"),
        (3, "3"),
        (3.0, "3"),
        (0.5, "0.5"),
        (1e20, "100000000000000000000"),
        (1e21, "1e+21"),
        (1e-7, "1e-7"),
        (0.000001, "0.000001"),
        (-0.0, "-0"),
        ("<a & b>", '"\\u003ca \\u0026 b\\u003e"'),
        ('q"\\\n\t\r\b\f\x01\x7f', '"q\\"\\\\\\n\\t\\r\\b\\f\\u0001\x7f"'),
        ("\u2028é", '"\\u2028é"'),
        ({"b": [1, None], "a": {"z": 1, "y": 2}}, '{"a":{"y":2,"z":1},"b":[1,null]}'),
        (JSONObject(z=1, a=2), '{"z":1,"a":2}'),
        (b"hi", '"aGk="'),
        ([], "[]"),
        ({}, "{}"),
    ],
)
def test_go_json(value: Any, expected: str) -> None:
    assert marshal(value) == expected
