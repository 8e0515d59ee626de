"""The Modelfile grammar: Ollama's rune-level state machine, rule by rule, error by error."""

from __future__ import annotations

import pytest

from pollama.errors import BadRequest
from pollama.modelfile import INVALID_COMMAND, INVALID_ROLE, Command, ModelfileError, parse


def commands(text: str | bytes) -> list[tuple[str, str]]:
    return [(c.name, c.args) for c in parse(text).commands]


def error_of(text: str | bytes) -> str:
    with pytest.raises(ModelfileError) as caught:
        parse(text)
    assert isinstance(caught.value, BadRequest) and caught.value.status == 400
    return caught.value.message


# --- instructions --------------------------------------------------------------------------------


def test_every_instruction() -> None:
    text = (
        "FROM gemma3:270m\n"
        "ADAPTER ./lora.gguf\n"
        "TEMPLATE {{ .Prompt }}\n"
        "SYSTEM Be brief.\n"
        "PARAMETER temperature 0.3\n"
        "LICENSE Apache-2.0\n"
        "MESSAGE user Ping?\n"
        "REQUIRES 0.9.0\n"
        "DRAFT ./small.gguf\n"
        "RENDERER qwen3\n"
        "PARSER qwen3\n"
    )
    assert commands(text) == [
        ("from", "gemma3:270m"),
        ("adapter", "./lora.gguf"),
        ("template", "{{ .Prompt }}"),
        ("system", "Be brief."),
        ("temperature", "0.3"),
        ("license", "Apache-2.0"),
        ("message", "user: Ping?"),
        ("requires", "0.9.0"),
        ("draft", "./small.gguf"),
        ("renderer", "qwen3"),
        ("parser", "qwen3"),
    ]


def test_command_fields() -> None:
    parsed = parse("# top\n\nFROM base\nPARAMETER top_k 7\nMESSAGE assistant Hello: there\n")
    assert parsed.commands == [
        Command("from", "base", 3, "from"),
        Command("top_k", "7", 4, "parameter"),
        Command("message", "assistant: Hello: there", 5, "message"),
    ]
    message = parsed.commands[2]
    assert (message.role, message.content) == ("assistant", "Hello: there")


def test_instruction_field_is_derived_when_omitted() -> None:
    assert Command("system", "x").instruction == "system"
    assert Command("temperature", "1").instruction == "parameter"


def test_parameter_named_like_an_instruction_stays_a_parameter() -> None:
    (_, command) = parse("FROM m\nPARAMETER system 1\n").commands
    assert (command.name, command.instruction) == ("system", "parameter")


@pytest.mark.parametrize("keyword", ["from", "FROM", "From", "fRoM"])
def test_instruction_names_are_case_insensitive(keyword: str) -> None:
    assert commands(f"{keyword} base\nsYsTeM hi\n") == [("from", "base"), ("system", "hi")]


def test_parameter_names_are_case_sensitive() -> None:
    assert commands("FROM m\nPARAMETER Top_K 3\n")[1] == ("Top_K", "3")


def test_parameter_name_may_hold_digits_and_underscores() -> None:
    assert commands("FROM m\nparameter num_ctx2_x 1\n")[1] == ("num_ctx2_x", "1")


@pytest.mark.parametrize("role", ["system", "user", "assistant"])
def test_message_roles(role: str) -> None:
    assert commands(f"FROM m\nMESSAGE {role} text here\n")[1] == ("message", f"{role}: text here")


def test_order_is_free_and_instructions_repeat() -> None:
    text = "SYSTEM one\nFROM a\nSYSTEM two\nFROM b\n"
    assert commands(text) == [("system", "one"), ("from", "a"), ("system", "two"), ("from", "b")]


# --- values --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "value"),
    [
        ("SYSTEM plain", "plain"),
        ("SYSTEM    padded value    ", "padded value"),
        ("SYSTEM\tafter a tab", "after a tab"),
        ("SYSTEM inner\ttab  and  spaces", "inner\ttab  and  spaces"),
        ("SYSTEM ", ""),
        ('SYSTEM ""', ""),
        ('SYSTEM """"""', ""),
        ('SYSTEM "  keep my spaces  "', "  keep my spaces  "),
        ('SYSTEM """  keep "these" too  """', '  keep "these" too  '),
        ('SYSTEM "x"   ', "x"),
        ("SYSTEM 'single quotes are plain'", "'single quotes are plain'"),
        ('SYSTEM it\'s "quoted" inside', 'it\'s "quoted" inside'),
        ('SYSTEM "no \\n escapes"', "no \\n escapes"),
        ("SYSTEM answer # not a comment", "answer # not a comment"),
        ("SYSTEM #hashtag", "#hashtag"),
        ("SYSTEM こんにちは 👋", "こんにちは 👋"),
    ],
)
def test_value_rules(line: str, value: str) -> None:
    assert commands(f"FROM m\n{line}\n")[1] == ("system", value)


def test_value_without_trailing_newline() -> None:
    assert commands("FROM m\nSYSTEM last line") == [("from", "m"), ("system", "last line")]


def test_multiline_triple_quotes() -> None:
    text = 'FROM m\nTEMPLATE """\n{{ .System }}\n\n# "{{ .Prompt }}"\n"""\nSYSTEM s\n'
    assert commands(text) == [
        ("from", "m"),
        ("template", '\n{{ .System }}\n\n# "{{ .Prompt }}"\n'),
        ("system", "s"),
    ]


def test_multiline_single_quotes() -> None:
    assert commands('FROM m\nSYSTEM "first\n  second"\n')[1] == ("system", "first\n  second")


def test_triple_quote_closing_on_the_same_line() -> None:
    assert commands('FROM m\nSYSTEM """one line"""\n')[1] == ("system", "one line")


def test_closing_quote_followed_by_text_keeps_the_quote_open() -> None:
    # As in Ollama: `"a" b` neither ends with a quote nor is bare, so the value runs to EOF.
    assert error_of('FROM m\nSYSTEM "a" b\nSYSTEM c\n') == "unexpected EOF"


def test_quotes_only_count_at_the_start() -> None:
    assert commands('FROM m\nSYSTEM a "b" c\n')[1] == ("system", 'a "b" c')


def test_non_printable_runes_are_dropped_but_tabs_and_newlines_kept() -> None:
    text = 'FROM m\nSYSTEM a\x07b\x00c\u200bd\x1b\nTEMPLATE "x\ty\nz"\n'
    assert commands(text)[1:] == [("system", "abcd"), ("template", "x\ty\nz")]


def test_carriage_returns() -> None:
    assert commands("FROM m\r\nSYSTEM windows\r\n") == [("from", "m"), ("system", "windows")]
    assert commands('FROM m\r\nSYSTEM """a\r\nb"""\r\n')[1] == ("system", "a\r\nb")


# --- comments and blank lines --------------------------------------------------------------------


def test_comments_and_blank_lines() -> None:
    text = "# header\n\n   # indented comment\n\t\nFROM m # trailing hash is data\n#SYSTEM no\n"
    assert commands(text) == [("from", "m # trailing hash is data")]


def test_hash_inside_a_quoted_block_is_data() -> None:
    assert commands('FROM m\nSYSTEM """\n# kept\n"""\n')[1] == ("system", "\n# kept\n")


# --- encodings -----------------------------------------------------------------------------------


EXPECTED_ENCODED = [("from", "base"), ("system", "ünïcode ✓")]
SOURCE = "FROM base\nSYSTEM ünïcode ✓\n"


def test_bom_in_text() -> None:
    assert commands("\ufeff" + SOURCE) == EXPECTED_ENCODED


@pytest.mark.parametrize(
    "data",
    [
        SOURCE.encode("utf-8"),
        b"\xef\xbb\xbf" + SOURCE.encode("utf-8"),
        b"\xff\xfe" + SOURCE.encode("utf-16-le"),
        b"\xfe\xff" + SOURCE.encode("utf-16-be"),
    ],
    ids=["utf8", "utf8-bom", "utf16le", "utf16be"],
)
def test_bytes_encodings(data: bytes) -> None:
    assert commands(data) == EXPECTED_ENCODED


def test_invalid_utf8_becomes_replacement_characters() -> None:
    assert commands(b"FROM m\nSYSTEM a\xffb\n")[1] == ("system", "a\ufffdb")


# --- errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("FROM m\nBOGUS value\n", 2),
        ("\n\n\nFROM m\nSYSTEMS value\n", 5),
        ("FROM m\nSYSTEM2 value\n", 2),
        ("FROM m\nSYS-TEM value\n", 2),
        ("FROM m\nFROM:value\n", 2),
        ("FROMx\n", 2),  # the name ends at the newline: Ollama has already counted it
        ("FROM m\nSYSTEM\n", 3),
        ("FROM m\nSYSTEM\nFROM n\n", 3),
        ("FROM m\r\nBOGUS x\r\n", 3),  # Ollama counts \r and \n as two lines
        ("PARAMETERS x 1\nFROM m\n", 1),
        ("=FROM m\n", 1),
    ],
)
def test_invalid_command(text: str, line: int) -> None:
    assert error_of(text) == f"(line {line}): {INVALID_COMMAND}"


def test_invalid_command_text() -> None:
    assert INVALID_COMMAND == (
        'command must be one of "from", "license", "template", "system", "adapter", "draft", '
        '"renderer", "parser", "parameter", "message", or "requires"'
    )


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ("FROM m\nMESSAGE robot hi\n", 2),
        ("FROM m\n\nMESSAGE User hi\n", 3),
        ("FROM m\nMESSAGE tool result\n", 2),
        ("FROM m\nMESSAGE  user two blanks\n", 2),  # the role is empty
    ],
)
def test_invalid_message_role(text: str, line: int) -> None:
    assert error_of(text) == f"(line {line}): {INVALID_ROLE}"
    assert INVALID_ROLE == 'message role must be one of "system", "user", or "assistant"'


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM m\nPARAMETER temperature\n", "unexpected EOF: temperature"),
        ("FROM m\nPARAMETER num-ctx 4\n", "unexpected EOF: num"),
        ("FROM m\nPARAMETER top.k 4\n", "unexpected EOF: top"),
        ("FROM m\nMESSAGE user\n", "unexpected EOF: user"),
        ("FROM m\nMESSAGE user:hi\n", "unexpected EOF: user"),
        ("FROM m\nMESSAGE user", "unexpected EOF"),
        ("FROM m\nPARAMETER top_k", "unexpected EOF"),
        ("FROM m\nPARAMETER", "unexpected EOF"),
        ("FROM", "unexpected EOF"),
        ('FROM m\nSYSTEM "open\n', "unexpected EOF"),
        ('FROM m\nSYSTEM """open\nstill open\n', "unexpected EOF"),
        ('FROM m\nSYSTEM """almost""\n', "unexpected EOF"),
        ('FROM m\nSYSTEM """""\n', "unexpected EOF"),
        ('FROM m\nSYSTEM "', "unexpected EOF"),
    ],
)
def test_unexpected_eof(text: str, message: str) -> None:
    assert error_of(text) == message


@pytest.mark.parametrize(
    "text",
    ["", "\n\n", "# only a comment", "\ufeff", "SYSTEM hi\nPARAMETER top_k 1\n"],
)
def test_no_from_line(text: str) -> None:
    assert error_of(text) == "no FROM line"


def test_double_blank_after_parameter_gives_an_empty_name() -> None:
    # Ollama's quirk: the second blank ends the (empty) name; the rest is the value.
    assert commands("FROM m\nPARAMETER  top_k 3\n")[1] == ("", "top_k 3")


# --- Modelfile.__str__ ---------------------------------------------------------------------------


def test_modelfile_str_reparses_to_the_same_commands() -> None:
    text = (
        "FROM base\n"
        "ADAPTER  ./my adapter.gguf \n"
        'LICENSE """\nMIT "License"\n"""\n'
        "PARAMETER stop <|end|>\n"
        'PARAMETER stop " User:"\n'
        'MESSAGE user "two\nlines"\n'
        "SYSTEM \n"
    )
    parsed = parse(text)
    rendered = str(parsed)
    assert rendered == (
        "FROM base\n"
        "ADAPTER ./my adapter.gguf\n"
        'LICENSE """\nMIT "License"\n"""\n'
        "PARAMETER stop <|end|>\n"
        'PARAMETER stop " User:"\n'
        'MESSAGE user "two\nlines"\n'
        "SYSTEM \n"
    )
    assert [(c.name, c.args) for c in parse(rendered).commands] == [
        (c.name, c.args) for c in parsed.commands
    ]
