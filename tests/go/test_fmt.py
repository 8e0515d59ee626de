"""fmt's `%v` and `%#v` of plain values, against the outputs Go prints (fmt.Sprintf)."""

from __future__ import annotations

from typing import Any

import pytest

from pollama.go.fmt import format_gosyntax, format_v
from pollama.go.strconv import format_float


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.7, "0.7"),
        (4096.0, "4096"),
        (1.0, "1"),
        (0.0, "0"),
        (-0.0, "-0"),
        (-2.5, "-2.5"),
        (0.95, "0.95"),
        (123456.0, "123456"),
        (999999.0, "999999"),
        (1e6, "1e+06"),
        (1234567.0, "1.234567e+06"),
        (0.0001, "0.0001"),
        (0.00012, "0.00012"),
        (1e-5, "1e-05"),
        (1.5e-7, "1.5e-07"),
        (1.5e300, "1.5e+300"),
        (2.5e-100, "2.5e-100"),
        (0.1 + 0.2, "0.30000000000000004"),
        (float("inf"), "+Inf"),
        (float("-inf"), "-Inf"),
        (float("nan"), "NaN"),
    ],
)
def test_format_float(value: float, expected: str) -> None:
    assert format_float(value) == expected
    assert format_v(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (True, "true"),
        (False, "false"),
        (4096, "4096"),
        (-1, "-1"),
        ("<|eot_id|>", "<|eot_id|>"),
        ('say "hi"', 'say "hi"'),
        (None, "<nil>"),
        (["a", "b c"], "[a b c]"),
        ([1, 0.5, True], "[1 0.5 true]"),
        ({"b": 1, "a": "x"}, "map[a:x b:1]"),
    ],
)
def test_format_v(value: Any, expected: str) -> None:
    assert format_v(value) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", '"plain"'),
        ('a"b', r'"a\"b"'),
        ("back\\slash", r'"back\\slash"'),
        ("line\nnext\ttab\rret", r'"line\nnext\ttab\rret"'),
        ("\a\b\f\v", r'"\a\b\f\v"'),
        ("\x00\x1b\x7f", r'"\x00\x1b\x7f"'),
        ("héllo 😀 日本", '"héllo 😀 日本"'),
        ("\u00a0", r'"\u00a0"'),
        ("\u200b", r'"\u200b"'),
        ("\U000e0001", r'"\U000e0001"'),
        ("\ud800", r'"\ufffd"'),
        ("'single'", "\"'single'\""),
        (24, "24"),
        (0.7, "0.7"),
        (True, "true"),
        (["a", "b"], '[]interface {}{"a", "b"}'),
    ],
)
def test_format_gosyntax(value: Any, expected: str) -> None:
    assert format_gosyntax(value) == expected
