"""The template functions: Go's builtins and Ollama's additions."""

# ruff: noqa: E501 - tables of templates and Go messages read best unwrapped

from __future__ import annotations

import datetime
from typing import Any

import pytest

from pollama.templates import TemplateError, execute
from pollama.templates.values import property_from_api

DATA: dict[str, Any] = {
    "S": "hello",
    "N": 3,
    "F": 2.5,
    "L": ["a", "b", "c"],
    "M": {"k": "v", "n": None},
    "Empty": "",
    "Nested": [[1, 2], [3, 4]],
    "Fn": lambda a, b: a + b,
}


def run(text: str, **extra: Any) -> str:
    return execute(text, {**DATA, **extra})


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # and / or return the deciding value and short-circuit
        ("{{ and 1 2 3 }}", "3"),
        ("{{ and 1 0 3 }}", "0"),
        ("{{ and .S .Empty }}", ""),
        ("{{ or 0 \"\" .S }}", "hello"),
        ("{{ or 0 \"\" }}", ""),
        ("{{ or .S (index .L 10) }}", "hello"),  # the failing index is never evaluated
        ("{{ and .Empty (index .L 10) }}", ""),
        ("{{ .S | and 1 }}", "hello"),
        ("{{ not .Empty }} {{ not .S }} {{ not .Missing }}", "true false true"),
        ("{{ len .S }} {{ len .L }} {{ len .M }} {{ len \"héllo\" }}", "5 3 2 6"),
        ("{{ index .L 1 }}", "b"),
        ("{{ index .M \"k\" }} {{ index .M \"zz\" }}", "v <no value>"),
        ("{{ index .Nested 1 0 }}", "3"),
        ("{{ index .S 1 }}", "101"),
        ("{{ index .L }}", "[a b c]"),
        ("{{ slice .L 1 }} {{ slice .L 1 2 }} {{ slice .L }}", "[b c] [b] [a b c]"),
        ("{{ slice .S 1 3 }}", "el"),
        ("{{ slice .L 1 2 3 }}", "[b]"),
        ("{{ eq 1 1 }} {{ eq 1 2 }} {{ eq .S \"x\" \"hello\" }}", "true false true"),
        ("{{ eq .Missing \"x\" }} {{ eq nil nil }}", "false true"),
        ("{{ ne 1 2 }} {{ ne \"a\" \"a\" }}", "true false"),
        ("{{ lt 1 2 }} {{ le 2 2 }} {{ gt 3 2 }} {{ ge 1 2 }}", "true true true false"),
        ("{{ lt \"a\" \"b\" }} {{ lt 1.5 2.5 }}", "true true"),
        ("{{ print 1 2 }} {{ print \"a\" \"b\" }} {{ print \"a\" 1 2 \"b\" }}", "1 2 ab a1 2b"),
        ("{{ print .Missing }} {{ print nil }}", "<nil> <nil>"),
        ("{{ println 1 \"a\" }}", "1 a\n"),
        ("{{ printf \"%d-%s-%v-%.2f\" 1 \"x\" .L .F }}", "1-x-[a b c]-2.50"),
        ("{{ printf \"%q %5s|%-5s|\" \"q\" \"r\" \"l\" }}", "\"q\"     r|l    |"),
        ("{{ html \"<a href='x'>&\\\"\" }}", "&lt;a href=&#39;x&#39;&gt;&amp;&#34;"),
        ("{{ html .Missing }}", "&lt;no value&gt;"),
        ("{{ js \"it's <b> \\\"x\\\" = \\\\ \\n\" }}", "it\\'s \\u003Cb\\u003E \\\"x\\\" \\u003D \\\\ \\u000A"),
        ("{{ urlquery \"a b&c=d/é\" }}", "a+b%26c%3Dd%2F%C3%A9"),
        ("{{ print 1 | urlquery }}", "1"),
        ("{{ call .Fn 2 3 }}", "5"),
        ("{{ json .M }} {{ json .L }} {{ json .S }} {{ json 1.5 }} {{ json .Missing }}",
         '{"k":"v","n":null} ["a","b","c"] "hello" 1.5 null'),
        ("{{ json \"<&>\" }}", '"\\u003c\\u0026\\u003e"'),
    ],
)  # fmt: skip
def test_functions(text: str, expected: str) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ index .L 3 }}", "error calling index: reflect: slice index out of range"),
        ("{{ index .L 4 }}", "error calling index: index out of range: 4"),
        ("{{ index .S 5 }}", "error calling index: reflect: string index out of range"),
        ("{{ index .L -1 }}", "error calling index: index out of range: -1"),
        ("{{ index .L \"x\" }}", "error calling index: cannot index slice/array with type string"),
        ("{{ index .M 1 }}", "error calling index: value has type int; should be string"),
        ("{{ index .N 1 }}", "error calling index: can't index item of type int"),
        ("{{ index .Missing 1 }}", "error calling index: index of untyped nil"),
        ("{{ slice .L 4 }}", "error calling slice: index out of range: 4"),
        ("{{ slice .S 1 2 3 }}", "error calling slice: cannot 3-index slice a string"),
        ("{{ slice .N 1 }}", "error calling slice: can't slice item of type int"),
        ("{{ len .Missing }}", "error calling len: len of nil pointer"),
        ("{{ eq 1 }}", "error calling eq: missing argument for comparison"),
        ("{{ eq .L .L }}", "error calling eq: uncomparable type []interface {}: [a b c]"),
        ("{{ eq 1 1.0 }}", "error calling eq: incompatible types for comparison: int and float64"),
        ("{{ lt true false }}", "error calling lt: invalid type for comparison"),
        ("{{ lt 1 \"a\" }}", "error calling lt: incompatible types for comparison: int and string"),
        ("{{ call .S }}", "error calling call: non-function of type string"),
        ("{{ ne 1 }}", "wrong number of args for ne: want 2 got 1"),
        ("{{ and }}", "wrong number of args for and: want at least 1 got 0"),
        ("{{ printf }}", "wrong number of args for printf: want at least 1 got 0"),
        ("{{ currentDate 1 }}", "expected string; found 1"),
    ],
)  # fmt: skip
def test_function_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        run(text)
    assert caught.value.message.endswith(message)


def test_dates_are_local_iso_dates() -> None:
    today = datetime.date.today()
    result = run('{{ currentDate }} {{ yesterdayDate "2006-01-02" }}')
    assert result == f"{today.isoformat()} {(today - datetime.timedelta(days=1)).isoformat()}"


@pytest.mark.parametrize(
    ("prop", "expected"),
    [
        ({"type": "string"}, "string"),
        ({"type": "integer"}, "number"),
        ({"type": "number"}, "number"),
        ({"type": "boolean"}, "boolean"),
        ({"type": "array", "items": {"type": "string"}}, "any[]"),
        ({"type": "object"}, "Record<string, any>"),
        ({"type": "null"}, "null"),
        ({"type": ["string", "null"]}, "string | null"),
        ({"type": "weird"}, "any"),
        ({}, "any"),
        ({"anyOf": [{"type": "string"}, {"type": "integer"}]}, "string | number"),
    ],
)
def test_to_typescript_type(prop: dict[str, Any], expected: str) -> None:
    converted = property_from_api(prop)
    assert execute("{{ toTypeScriptType .P }}", {"P": converted}) == expected
    assert execute("{{ .P.ToTypeScriptType }}", {"P": converted}) == expected


def test_to_typescript_type_of_anything_else_is_any() -> None:
    assert run("{{ toTypeScriptType .S }} {{ toTypeScriptType .Missing }}") == "any any"
