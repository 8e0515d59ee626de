"""Raw Go template execution: every construct, Go's scoping, truthiness and errors."""

# ruff: noqa: E501 - tables of templates and Go messages read best unwrapped

from __future__ import annotations

from typing import Any

import pytest

from pollama.templates import TemplateError, execute

DATA: dict[str, Any] = {
    "Name": "world",
    "Empty": "",
    "Zero": 0,
    "One": 1,
    "Half": 0.5,
    "True": True,
    "False": False,
    "List": ["a", "b", "c"],
    "EmptyList": [],
    "Map": {"b": 2, "a": 1, "c": 3},
    "EmptyMap": {},
    "Nested": {"Inner": {"Value": "deep"}},
    "Null": None,
    "Items": [{"N": "x", "Ok": True}, {"N": "y", "Ok": False}],
}


def run(text: str, data: dict[str, Any] | None = None) -> str:
    return execute(text, DATA if data is None else data)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Hello, {{ .Name }}!", "Hello, world!"),
        ("{{ .Nested.Inner.Value }}", "deep"),
        ("{{ $.Name }}", "world"),
        ("{{ .Missing }}", "<no value>"),
        ("{{ .Null }}", "<no value>"),
        ("{{ .Nested.Missing }}", "<no value>"),
        ("{{ .List }}", "[a b c]"),
        ("{{ .Map }}", "map[a:1 b:2 c:3]"),
        ("{{ .EmptyMap }}", "map[]"),
        ("{{ .True }} {{ .False }}", "true false"),
        ("{{ .Half }}", "0.5"),
        ("{{ 1e6 }} {{ 1.0 }} {{ 2.50 }} {{ 1e-7 }} {{ 123456.0 }}", "1e+06 1 2.5 1e-07 123456"),
        ("{{ 42 }} {{ -7 }} {{ 0x1F }} {{ 0o17 }} {{ 0b101 }} {{ 1_000 }}", "42 -7 31 15 5 1000"),
        ("{{ 'a' }} {{ '\\n' }} {{ '\\u00e9' }}", "97 10 233"),
        ('{{ "tab\\there" }}', "tab\there"),
        ('{{ "\\u00e9\\x41\\101" }}', "éAA"),
        ("{{ `raw \\n string` }}", "raw \\n string"),
        ("{{ true }} {{ false }}", "true false"),
        ("{{ . }}", "map[]"),
        ("{{ (.Name) }}", "world"),
        ("{{ (index .Items 0).N }}", "x"),
        ('{{ .Name | printf "<%s>" }}', "<world>"),
        ('{{ .Name | printf "%s-%s" "x" }}', "x-world"),
        ('{{ "a" | printf "%s%s" "b" | printf "[%s]" }}', "[ba]"),
        ("{{ 1 }}{{/* a comment */}}{{ 2 }}", "12"),
    ],
)
def test_values_and_literals(text: str, expected: str) -> None:
    data = {} if text == "{{ . }}" else None
    assert run(text, data) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ if .Name }}yes{{ end }}", "yes"),
        ("{{ if .Empty }}yes{{ else }}no{{ end }}", "no"),
        ("{{ if .Zero }}yes{{ else }}no{{ end }}", "no"),
        ("{{ if .Half }}yes{{ end }}", "yes"),
        ("{{ if .EmptyList }}yes{{ else }}no{{ end }}", "no"),
        ("{{ if .EmptyMap }}yes{{ else }}no{{ end }}", "no"),
        ("{{ if .Missing }}yes{{ else }}no{{ end }}", "no"),
        ("{{ if .Null }}yes{{ else }}no{{ end }}", "no"),
        ("{{ if .False }}a{{ else if .Zero }}b{{ else if .One }}c{{ else }}d{{ end }}", "c"),
        ("{{ if .False }}a{{ else if .Zero }}b{{ else }}d{{ end }}", "d"),
        ("{{ with .Nested.Inner }}{{ .Value }}{{ end }}", "deep"),
        ("{{ with .Missing }}x{{ else }}none{{ end }}", "none"),
        ("{{ with .Empty }}x{{ else with .Name }}{{ . }}{{ end }}", "world"),
        ("{{ with $v := .Name }}{{ $v }}{{ . }}{{ end }}", "worldworld"),
        ("{{ if $x := .One }}{{ $x }}{{ end }}", "1"),
    ],
)
def test_if_and_with(text: str, expected: str) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("{{ range .List }}[{{ . }}]{{ end }}", "[a][b][c]"),
        ("{{ range $i, $e := .List }}{{ $i }}={{ $e }} {{ end }}", "0=a 1=b 2=c "),
        ("{{ range $e := .List }}{{ $e }}{{ end }}", "abc"),
        ("{{ range $k, $v := .Map }}{{ $k }}{{ $v }}{{ end }}", "a1b2c3"),
        ("{{ range .Map }}{{ . }}{{ end }}", "123"),
        ("{{ range .EmptyList }}x{{ else }}empty{{ end }}", "empty"),
        ("{{ range .EmptyMap }}x{{ else }}empty{{ end }}", "empty"),
        ("{{ range .Missing }}x{{ else }}nothing{{ end }}", "nothing"),
        ("{{ range 3 }}{{ . }}{{ end }}", "012"),
        ("{{ range $i := 3 }}{{ $i }}{{ end }}", "012"),
        ("{{ range 0 }}x{{ else }}zero{{ end }}", "zero"),
        ('{{ range .List }}{{ if eq . "b" }}{{ break }}{{ end }}{{ . }}{{ end }}', "a"),
        ('{{ range .List }}{{ if eq . "b" }}{{ continue }}{{ end }}{{ . }}{{ end }}', "ac"),
        ("{{ range .Items }}{{ if .Ok }}{{ .N }}{{ end }}{{ end }}", "x"),
        (
            "{{ range $i, $_ := .List }}{{ range $.List }}{{ $i }}{{ end }};{{ end }}",
            "000;111;222;",
        ),
        ("{{ range .List }}{{ range $.List }}{{ break }}{{ end }}{{ . }}{{ end }}", "abc"),
        ("{{ range $i, $e := .List }}{{ if $i }}, {{ end }}{{ $e }}{{ end }}", "a, b, c"),
        ("{{ range .List }}{{ else }}{{ end }}ok", "ok"),
    ],
)
def test_range(text: str, expected: str) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # an assignment to an outer variable persists after {{end}}
        ("{{ $x := 1 }}{{ if true }}{{ $x = 2 }}{{ end }}{{ $x }}", "2"),
        # a declaration inside the body shadows the outer one and is gone after {{end}}
        ("{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}", "21"),
        ("{{ $n := 0 }}{{ range .List }}{{ $n = . }}{{ end }}{{ $n }}", "c"),
        ('{{ $last := "" }}{{ range $i, $e := .List }}{{ $last = $e }}{{ end }}{{ $last }}', "c"),
        ("{{ range $i, $e := .List }}{{ $x := $e }}{{ end }}{{ $x := 5 }}{{ $x }}", "5"),
        # a range can assign to existing variables
        ('{{ $i := 0 }}{{ $e := "" }}{{ range $i, $e = .List }}{{ end }}{{ $i }}{{ $e }}', "2c"),
        ("{{ $x := .Name }}{{ with .Nested }}{{ $x }}{{ end }}", "world"),
        ("{{ $ := 1 }}{{ $ }}", "1"),
        ("{{ with .Nested }}{{ $.Name }}{{ end }}", "world"),
    ],
)
def test_variable_scoping(text: str, expected: str) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{{ define "greet" }}Hi {{ . }}!{{ end }}{{ template "greet" .Name }}', "Hi world!"),
        ('{{ define "t" }}{{ .Name }}{{ end }}{{ template "t" . }}', "world"),
        ('{{ define "t" }}[{{ . }}]{{ end }}{{ template "t" }}', "[<no value>]"),
        ('{{ block "b" .List }}{{ len . }}{{ end }}', "3"),
        ('{{ define "b" }}   {{ end }}{{ block "b" . }}default{{ end }}', "default"),
        ('{{ define "t" }}{{ $ }}{{ end }}{{ template "t" 7 }}', "7"),
        ('{{ define "r" }}{{ if . }}{{ . }}{{ template "r" (slice . 1) }}{{ end }}{{ end }}'
         '{{ template "r" "abc" }}', "abcbcc"),
    ],
)  # fmt: skip
def test_define_template_block(text: str, expected: str) -> None:
    assert run(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a  {{- .Name -}}  b", "aworldb"),
        ("line1\n{{- .Name }}\nline3", "line1world\nline3"),
        ("{{ range .List -}}\n  {{ . }}\n{{- end }}", "abc"),
        ("x \t\n{{- /* gone */ -}}\n\t y", "xy"),
        ("{{ .Name }}   \n", "world   \n"),
    ],
)
def test_whitespace_trimming(text: str, expected: str) -> None:
    assert run(text) == expected


def test_structures_from_python_data() -> None:
    data = {"Msgs": [{"Role": "user", "Content": "hi"}], "Tags": {"x": [1.5, None, "s"]}}
    assert execute("{{ range .Msgs }}{{ .Role }}: {{ .Content }}{{ end }}", data) == "user: hi"
    assert execute("{{ .Tags }}", data) == "map[x:[1.5 <nil> s]]"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ .Null.X }}", 'template: :1:8: executing "" at <.Null.X>: nil pointer evaluating interface {}.X'),
        ("{{ .Missing.X }}", 'template: :1:11: executing "" at <.Missing.X>: nil pointer evaluating interface {}.X'),
        ("\n  {{ .Name.X }}", 'template: :2:10: executing "" at <.Name.X>: can\'t evaluate field X in type interface {}'),
        ("{{ index .List 5 }}", 'template: :1:3: executing "" at <index .List 5>: error calling index: index out of range: 5'),
        ("{{ len 3 }}", 'template: :1:3: executing "" at <len 3>: error calling len: len of type int'),
        ("{{ len }}", 'template: :1:3: executing "" at <len>: wrong number of args for len: want 1 got 0'),
        ("{{ eq 1 \"a\" }}", 'template: :1:3: executing "" at <eq 1 "a">: error calling eq: incompatible types for comparison: int and string'),
        ("{{ range .Name }}{{ end }}", 'template: :1:9: executing "" at <.Name>: range can\'t iterate over world'),
        ("{{ range $i, $e := 3 }}{{ end }}", 'template: :1:19: executing "" at <3>: can\'t use 3 to iterate over more than one variable'),
        ("{{ \"x\" 1 }}", 'template: :1:3: executing "" at <"x">: can\'t give argument to non-function "x"'),
        ("{{ nil }}", 'template: :1:3: executing "" at <nil>: nil is not a command'),
        ("{{ .Name 1 }}", 'template: :1:3: executing "" at <.Name>: Name is not a method but has arguments'),
        ('{{ template "nope" }}', 'template: :1:12: executing "" at <{{template "nope"}}>: template "nope" not defined'),
        ("{{ printf 1 }}", 'template: :1:10: executing "" at <1>: expected string; found 1'),
        ("{{ printf .One }}", 'template: :1:10: executing "" at <.One>: wrong type for value; expected string; got int'),
        ("{{ slice .List 2 1 }}", 'template: :1:3: executing "" at <slice .List 2 1>: error calling slice: invalid slice index: 2 > 1'),
        ("{{ lt .List 1 }}", 'template: :1:3: executing "" at <lt .List 1>: error calling lt: invalid type for comparison'),
        ('{{ define "x" }}{{ .A.B }}{{ end }}{{ template "x" .Nested }}', 'template: :1:21: executing "x" at <.A.B>: nil pointer evaluating interface {}.B'),
        ("{{ .Nested.Inner.Value.Very.Long.Chain.Here }}", 'template: :1:10: executing "" at <.Nested.Inner.Value....>: can\'t evaluate field Very in type interface {}'),
    ],
)  # fmt: skip
def test_execution_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        run(text)
    assert caught.value.message == message
    assert caught.value.status == 500


@pytest.mark.parametrize(
    ("text", "message"),
    [
        # a value reached through a Go `any` slot is named "interface {}" in errors...
        ("{{ range .List }}{{ .X }}{{ end }}", "can't evaluate field X in type interface {}"),
        ("{{ .List.X }}", "can't evaluate field X in type interface {}"),
        # ...but a pipeline result is the concrete value
        ("{{ (.Name).X }}", "can't evaluate field X in type string"),
        ("{{ $n := .Name }}{{ $n.X }}", "can't evaluate field X in type string"),
        ("{{ with .Name }}{{ .X }}{{ end }}", "can't evaluate field X in type string"),
    ],
)
def test_error_type_names(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        run(text)
    assert caught.value.message.endswith(message)


def test_chain_errors_point_at_the_chain_head() -> None:
    with pytest.raises(TemplateError) as caught:
        run('{{ ("x").A }}')
    assert caught.value.message == (
        'template: :1:4: executing "" at <"x">: can\'t evaluate field A in type string'
    )


def test_variable_holding_nil_yields_nil_fields() -> None:
    # Go: a variable holding nil is an invalid value, and fields of it are quietly nil
    assert run("{{ $x := .Missing }}{{ $x.Field }}") == "<no value>"


def test_error_column_counts_bytes() -> None:
    # the error points at the last field of the chain, like Go: byte 11, not character 10
    with pytest.raises(TemplateError, match=r"template: :1:11: "):
        run("é {{ .Null.X }}")


def test_deep_template_recursion_is_an_error_not_a_crash() -> None:
    with pytest.raises(TemplateError, match="exceeded maximum template depth"):
        run('{{ define "loop" }}{{ template "loop" . }}{{ end }}{{ template "loop" . }}')
