"""Lexing and parsing: the tree each construct produces and Go's parse errors."""

# ruff: noqa: E501 - tables of templates and Go messages read best unwrapped

from __future__ import annotations

import pytest

from pollama.errors import BadRequest
from pollama.templates import TemplateError, parse, validate
from pollama.templates.lexer import lex
from pollama.templates.tokens import ItemType


def tree(text: str, name: str = "") -> str:
    return str(parse(text).trees[name])


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain text", "plain text"),
        ("{{ .A }}", "{{.A}}"),
        ("{{ .A.B.C }}", "{{.A.B.C}}"),
        ("{{ $.Messages }}", "{{$.Messages}}"),
        ("{{ . }}", "{{.}}"),
        ("{{ $x := .A }}{{ $x }}", "{{$x := .A}}{{$x}}"),
        ("{{ $x := 1 }}{{ $x = 2 }}", "{{$x := 1}}{{$x = 2}}"),
        ("{{ .A | printf \"%s\" | len }}", '{{.A | printf "%s" | len}}'),
        ("{{ (len .A).X }}", "{{(len .A).X}}"),
        ("{{ eq (len .A) 1 }}", "{{eq (len .A) 1}}"),
        ("{{ `raw\nstring` }}", "{{`raw\nstring`}}"),
        ("{{ 'a' }} {{ 1.5 }} {{ 0x1F }} {{ -3 }} {{ true }} {{ nil }}", None),
        ("{{ if .A }}a{{ else if .B }}b{{ else }}c{{ end }}",
         "{{if .A}}a{{else}}{{if .B}}b{{else}}c{{end}}{{end}}"),
        ("{{ with .A }}a{{ else with .B }}b{{ end }}",
         "{{with .A}}a{{else}}{{with .B}}b{{end}}{{end}}"),
        ("{{ range $i, $e := .L }}{{ $i }}{{ else }}none{{ end }}",
         "{{range $i, $e := .L}}{{$i}}{{else}}none{{end}}"),
        ("{{ range .L }}{{ break }}{{ continue }}{{ end }}",
         "{{range .L}}{{break}}{{continue}}{{end}}"),
        ('{{ template "x" . }}{{ template "y" }}', '{{template "x" .}}{{template "y"}}'),
        ("a {{- /* comment */ -}} b", "ab"),
        ("a {{/* comment */}} b", "a  b"),
    ],
)  # fmt: skip
def test_tree_strings(text: str, expected: str | None) -> None:
    assert tree(text) == (expected if expected is not None else tree(text))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a  \n {{- .A }}", "a{{.A}}"),
        ("{{ .A -}} \n\t b", "{{.A}}b"),
        ("x\r\n{{- .A -}}\r\ny", "x{{.A}}y"),
        ("{{-3}}", "{{-3}}"),  # a minus without a space is a number, not a trim marker
        ("{{ 3 -}}  x", "{{3}}x"),
        ("a {{- /* c */}} b", "a b"),
        ("a {{/* c */ -}} b", "a b"),
        ("no  {{ .A }}  trim", "no  {{.A}}  trim"),
    ],
)
def test_trim_markers(text: str, expected: str) -> None:
    assert tree(text) == expected


def test_define_and_block_create_named_trees() -> None:
    parsed = parse('{{ define "T" }}[{{ . }}]{{ end }}{{ block "B" .X }}b{{ end }}main')
    assert set(parsed.trees) == {"", "T", "B"}
    assert str(parsed.trees["T"]) == "[{{.}}]"
    assert str(parsed.trees["B"]) == "b"
    assert str(parsed.root) == '{{template "B" .X}}main'


def test_defined_template_has_its_own_variable_scope() -> None:
    with pytest.raises(TemplateError, match=r'undefined variable "\$x"'):
        parse('{{ $x := 1 }}{{ define "T" }}{{ $x }}{{ end }}')


def test_lexer_positions_and_lines() -> None:
    items = lex("ab\n{{ .X }}")
    assert [(i.typ, i.pos, i.line) for i in items[:4]] == [
        (ItemType.TEXT, 0, 1),
        (ItemType.LEFT_DELIM, 3, 2),
        (ItemType.SPACE, 5, 2),
        (ItemType.FIELD, 6, 2),
    ]
    assert items[-1].typ is ItemType.EOF


def test_number_literal_kinds() -> None:
    nodes = parse("{{ 1 }}{{ 1.0 }}{{ 1e3 }}{{ 0x10 }}{{ 0o17 }}{{ 017 }}{{ 1_000 }}").root.nodes
    numbers = [n.pipe.cmds[0].args[0].number for n in nodes]  # type: ignore[attr-defined]
    assert [n.int_value for n in numbers] == [1, 1, 1000, 16, 15, 15, 1000]
    assert numbers[2].float_value == 1000.0


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{{ .A }", 'template: :1: unexpected "}" in operand'),
        ("a\nb\n{{ .A }\n", 'template: :3: unexpected "}" in operand'),
        ("{{ .A", "template: :1: unclosed action"),
        ("{{ .A\n\n", "template: :3: unclosed action started at :1"),
        ('{{ .A\n "x }}', "template: :2: unterminated quoted string in action started at :1"),
        ("x\n{{ if .A }}", "template: :2: unexpected EOF"),
        ("{{ end }}", "template: :1: unexpected {{end}}"),
        ("{{ else }}", "template: :1: unexpected {{else}}"),
        ("{{ if .A }}{{ else }}{{ else }}{{ end }}", "template: :1: expected end; found {{else}}"),
        ("{{ foo }}", 'template: :1: function "foo" not defined'),
        ("{{ $x }}", 'template: :1: undefined variable "$x"'),
        ("{{ if true }}{{ $y := 1 }}{{ end }}{{ $y }}", 'template: :1: undefined variable "$y"'),
        ("{{ if }}{{ end }}", "template: :1: missing value for if"),
        ("{{ }}", "template: :1: missing value for command"),
        ("{{ break }}", "template: :1: {{break}} outside {{range}}"),
        ("{{ continue }}", "template: :1: {{continue}} outside {{range}}"),
        ("{{ range .A }}{{ else }}{{ break }}{{ end }}", "template: :1: {{break}} outside {{range}}"),
        ("{{ range .A }}{{ break 1 }}{{ end }}", "template: :1: unexpected \"1\" in {{break}}"),
        ('{{ "abc }}', "template: :1: unterminated quoted string"),
        ("{{ `abc }}", "template: :1: unterminated raw quoted string"),
        ("{{ 'ab' }}", "template: :1: malformed character constant: 'ab'"),
        ('{{ "\\z" }}', "template: :1: invalid syntax"),
        ("{{ 1 | 2 }}", "template: :1: non executable command in pipeline stage 2"),
        ('{{ .A | "x" }}', "template: :1: non executable command in pipeline stage 2"),
        ("{{ range $i, $e, $f := .A }}{{ end }}", "template: :1: too many declarations in range"),
        ("{{ with $x, $y := .A }}{{ end }}", "template: :1: too many declarations in with"),
        ("{{ range $i, 1 := .A }}{{ end }}", "template: :1: range can only initialize variables"),
        ("{{/* unclosed", "template: :1: unclosed comment"),
        ("{{/* c */ }}", "template: :1: comment ends before closing delimiter"),
        ('{{ "x".A }}', 'template: :1: unexpected . after term "\\"x\\""'),
        ("{{ (1 }}", "template: :1: unclosed left paren"),
        ("{{ 1) }}", "template: :1: unexpected right paren"),
        ("{{ 1a }}", 'template: :1: bad number syntax: "1a"'),
        ("{{ 0x }}", 'template: :1: illegal number syntax: "0x"'),
        ("{{ .A# }}", "template: :1: bad character U+0023 '#'"),
        ("{{ template x }}", 'template: :1: unexpected "x" in template clause'),
        ('{{ define "x" }}a{{ end }}{{ define "x" }}b{{ end }}',
         'template: :1: template: multiple definition of template "x"'),
        ('{{ define "b" }}x{{ end }}{{ block "b" . }}y{{ end }}',
         'template: :1: template: multiple definition of template "b"'),
        ("{{ .A }}{{ .B }}\n{{ .C | | }}", 'template: :2: unexpected "|" in command'),
        ("{{ if .A }}{{ define \"x\" }}{{ end }}{{ end }}", "template: :1: unexpected <define> in command"),
        ("{{ index .A 1\n 2 3 ]}}", 'template: :2: unexpected "]" in operand'),
    ],
)  # fmt: skip
def test_parse_errors(text: str, message: str) -> None:
    with pytest.raises(TemplateError) as caught:
        validate(text)
    assert caught.value.message == message
    assert caught.value.status == 400
    assert isinstance(caught.value, BadRequest)


def test_parse_is_cached() -> None:
    assert parse("{{ .Prompt }} cached") is parse("{{ .Prompt }} cached")


def test_identifiers_are_lower_cased_field_and_variable_names() -> None:
    parsed = parse("{{ range $i, $m := .Messages }}{{ $m.ToolCalls }}{{ end }}{{ $.System }}")
    assert {"messages", "$m", "toolcalls", "$", "system"} <= parsed.identifiers
    assert "$i" not in parsed.identifiers  # declarations are not walked, as in Ollama
    assert parse('{{ define "t" }}{{ .Tools }}{{ end }}').identifiers == {"tools"}
