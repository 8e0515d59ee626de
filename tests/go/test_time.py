"""Go durations both ways (time.ParseDuration, Duration.String), the keep_alive and environment
duration rules, and RFC3339Nano timestamps."""

from __future__ import annotations

import math

import pytest

from pollama.errors import BadRequest
from pollama.go.time import (
    FOREVER,
    MAX_DURATION_NS,
    format_go_duration,
    format_seconds,
    parse_env_duration,
    parse_go_duration,
    parse_go_duration_ns,
    parse_keep_alive,
    seconds_to_ns,
)

NS, US, MS, S, M, H = 1, 10**3, 10**6, 10**9, 60 * 10**9, 3600 * 10**9


@pytest.mark.parametrize(
    ("text", "expected_ns"),
    [
        ("0", 0),
        ("+0", 0),
        ("-0", 0),
        ("-0s", 0),
        ("0h", 0),
        ("7s", 7 * S),
        ("+7s", 7 * S),
        ("-7s", -7 * S),
        ("2.0s", 2 * S),
        ("2.25s", 2 * S + 250 * MS),
        ("3.s", 3 * S),
        (".75s", 750 * MS),
        ("4.0100s", 4 * S + 10 * MS),
        ("1.0000000001s", 1 * S),  # below a nanosecond: truncated
        ("42ns", 42 * NS),
        ("8us", 8 * US),
        ("9µs", 9 * US),  # U+00B5 micro sign
        ("9μs", 9 * US),  # U+03BC Greek mu
        ("300ms", 300 * MS),
        ("20m", 20 * M),
        ("5m", 5 * M),
        ("-1m", -M),
        ("6h", 6 * H),
        ("1h30m", 90 * M),
        ("1.5h", 90 * M),
        ("0.25h", 15 * M),
        ("0.1h", 6 * M),
        ("0.333333333333h", 19 * M + 59 * S + 999_999_998 * NS),
        ("2s500ms", 2 * S + 500 * MS),
        ("500ms2s", 2 * S + 500 * MS),
        ("4m10.25s", 4 * M + 10 * S + 250 * MS),
        ("-7h15m30.5s", -(7 * H + 15 * M + 30 * S + 500 * MS)),
        ("1h1m1s1ms1us1ns", H + M + S + MS + US + NS),
        ("1m1.000000001s", M + S + 1),
        ("9223372036854775807ns", MAX_DURATION_NS),
        ("2562047h47m16.854775807s", MAX_DURATION_NS),
        ("-9223372036854775808ns", -(1 << 63)),
        ("-2562047h47m16.854775808s", -(1 << 63)),
    ],
)
def test_parse_go_duration(text: str, expected_ns: int) -> None:
    assert parse_go_duration_ns(text) == expected_ns
    assert parse_go_duration(text) == expected_ns / S


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", 'time: invalid duration ""'),
        ("3", 'time: missing unit in duration "3"'),
        ("300", 'time: missing unit in duration "300"'),
        ("-1", 'time: missing unit in duration "-1"'),
        ("1.5", 'time: missing unit in duration "1.5"'),
        ("1h30", 'time: missing unit in duration "1h30"'),
        ("-", 'time: invalid duration "-"'),
        ("+", 'time: invalid duration "+"'),
        ("s", 'time: invalid duration "s"'),
        (".", 'time: invalid duration "."'),
        ("-.", 'time: invalid duration "-."'),
        (".s", 'time: invalid duration ".s"'),
        ("+.s", 'time: invalid duration "+.s"'),
        ("abc", 'time: invalid duration "abc"'),
        ("1d", 'time: unknown unit "d" in duration "1d"'),
        ("3x", 'time: unknown unit "x" in duration "3x"'),
        ("5 s", 'time: unknown unit " s" in duration "5 s"'),
        ("1µ", 'time: unknown unit "\\xc2\\xb5" in duration "1\\xc2\\xb5"'),
        ('1"', 'time: unknown unit "\\"" in duration "1\\""'),
        ("9223372036854775808ns", 'time: invalid duration "9223372036854775808ns"'),
        ("2562047h47m16.854775808s", 'time: invalid duration "2562047h47m16.854775808s"'),
        ("2562047h48m", 'time: invalid duration "2562047h48m"'),
        ("-9223372036854775809ns", 'time: invalid duration "-9223372036854775809ns"'),
        ("12345678901234567890123ns", 'time: invalid duration "12345678901234567890123ns"'),
        ("5000000h", 'time: invalid duration "5000000h"'),
    ],
)
def test_parse_go_duration_errors(text: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_go_duration(text)
    assert caught.value.message == message
    assert caught.value.status == 400


@pytest.mark.parametrize(
    ("ns", "text"),
    [
        (0, "0s"),
        (1, "1ns"),
        (999, "999ns"),
        (1000, "1µs"),
        (1500, "1.5µs"),
        (850 * US, "850µs"),
        (1 * MS, "1ms"),
        (12_345 * US, "12.345ms"),
        (999_999_999, "999.999999ms"),
        (1 * S, "1s"),
        (1_234_567_891, "1.234567891s"),
        (59 * S + 10 * MS, "59.01s"),
        (60 * S, "1m0s"),
        (2 * M + 3 * S + 500 * MS, "2m3.5s"),
        (7 * M + 9 * S, "7m9s"),
        (5 * M, "5m0s"),
        (H, "1h0m0s"),
        (25 * H + 2 * M + 3 * S + 40 * MS, "25h2m3.04s"),
        (10 * M + 1, "10m0.000000001s"),
        (MAX_DURATION_NS, "2562047h47m16.854775807s"),
        (-(1 << 63), "-2562047h47m16.854775808s"),
        (-1, "-1ns"),
        (-1500, "-1.5µs"),
        (-5 * S, "-5s"),
        (-90 * M, "-1h30m0s"),
    ],
)
def test_format_go_duration(ns: int, text: str) -> None:
    assert format_go_duration(ns) == text


@pytest.mark.parametrize("ns", [0, 1, 999, 1000, 123456789, 61 * S, 3 * H + 7, MAX_DURATION_NS])
def test_format_then_parse_round_trips(ns: int) -> None:
    assert parse_go_duration_ns(format_go_duration(ns)) == ns
    assert parse_go_duration_ns(format_go_duration(-ns)) == -ns


def test_seconds_helpers() -> None:
    assert seconds_to_ns(FOREVER) == MAX_DURATION_NS
    assert seconds_to_ns(1.5) == 1_500_000_000
    assert seconds_to_ns(1e30) == MAX_DURATION_NS
    assert format_seconds(300.0) == "5m0s"
    assert format_seconds(FOREVER) == "2562047h47m16.854775807s"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, None),
        (0, 0.0),
        (0.0, 0.0),
        (1, 1.0),
        (1.5, 1.5),
        (300, 300.0),
        (3600.25, 3600.25),
        (-1, FOREVER),
        (-0.5, FOREVER),
        (-1e300, FOREVER),
        (1e300, FOREVER),
        (10**30, FOREVER),
        ("0", 0.0),
        ("5m", 300.0),
        ("1h30m", 5400.0),
        ("300ms", 0.3),
        ("1.5s", 1.5),
        ("-1m", FOREVER),
        ("-1s", FOREVER),
        ("-0s", 0.0),
    ],
)
def test_parse_keep_alive(value: object, expected: float | None) -> None:
    assert parse_keep_alive(value) == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "Unsupported type: 'bool'"),
        (False, "Unsupported type: 'bool'"),
        ([1], "Unsupported type: '[]interface {}'"),
        ({"a": 1}, "Unsupported type: 'map[string]interface {}'"),
        (math.nan, "Unsupported type: 'float64'"),
        ("300", 'time: missing unit in duration "300"'),
        ("-1", 'time: missing unit in duration "-1"'),
        ("abc", 'time: invalid duration "abc"'),
        ("3x", 'time: unknown unit "x" in duration "3x"'),
        ("", 'time: invalid duration ""'),
    ],
)
def test_parse_keep_alive_errors(value: object, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_keep_alive(value)
    assert caught.value.message == message


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("5m", 300.0),
        ("300", 300.0),
        ("0", 0.0),
        ("10", 10.0),
        ("+10", 10.0),
        ("1h", 3600.0),
        ("2.5s", 2.5),
        ("-1", FOREVER),
        ("-1m", FOREVER),
        ("-5", FOREVER),
        ("9223372036854775807", FOREVER),
    ],
)
def test_parse_env_duration(text: str, expected: float) -> None:
    assert parse_env_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", 'time: invalid duration "abc"'),
        ("1.5", 'time: missing unit in duration "1.5"'),
        ("5 m", 'time: unknown unit " m" in duration "5 m"'),
        ("9223372036854775808", 'time: missing unit in duration "9223372036854775808"'),
    ],
)
def test_parse_env_duration_errors(text: str, message: str) -> None:
    with pytest.raises(BadRequest) as caught:
        parse_env_duration(text)
    assert caught.value.message == message
