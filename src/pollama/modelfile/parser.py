"""The Modelfile grammar: text → commands, as Ollama's rune-level state machine reads it.

Ollama's parser/parser.go, ParseFile: a command starts at a line's first non-blank rune, its
name is letters only, and its value runs to the end of the line unless a `"` or `\"\"\"` quote
is open; PARAMETER and MESSAGE take a second word (the parameter name, the role).
"""

from __future__ import annotations

import codecs
from enum import Enum

from pollama.modelfile.commands import (
    INSTRUCTIONS,
    INVALID_COMMAND,
    INVALID_ROLE,
    MESSAGE_ROLES,
    NO_FROM,
    UNEXPECTED_EOF,
    Command,
    ModelfileError,
)
from pollama.modelfile.document import Modelfile

_State = Enum("_State", "NIL NAME VALUE PARAMETER MESSAGE COMMENT")
_BLANK = " \t"
_NEWLINE = "\r\n"
_WHITESPACE = " \t\r\n"  # the only whitespace a value buffer can hold (the rest is dropped)
_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_WORD = _ALPHA | frozenset("0123456789_")


def _line_error(line: int, message: str) -> ModelfileError:
    return ModelfileError(f"(line {line}): {message}")


def _quote_is_open(buf: list[str]) -> bool:
    """Whether the value so far (blanks trimmed) opens `\"\"\"` or `"` without closing it.

    Checked at every blank inside a value, so it looks only at the ends of the buffer."""
    start = 0
    while start < len(buf) and buf[start] in _WHITESPACE:
        start += 1
    end = len(buf)
    while end > start and buf[end - 1] in _WHITESPACE:
        end -= 1
    if end - start >= 3 and buf[start : start + 3] == ['"'] * 3:
        return not (end - start >= 6 and buf[end - 3 : end] == ['"'] * 3)
    if end > start and buf[start] == '"':
        return not (end - start >= 2 and buf[end - 1] == '"')
    return False


def parse(text: str | bytes) -> Modelfile:
    """Parse a Modelfile as Ollama does; errors are `ModelfileError`s with Ollama's texts.

    Bytes may be UTF-8 (with or without BOM) or UTF-16 with a BOM. Line numbers follow Ollama,
    which counts a line as soon as it reads the newline (so an error found at a line's end names
    the next line) and counts `\\r` and `\\n` separately.
    """
    if isinstance(text, bytes):
        text = _decode(text)
    elif text.startswith("\ufeff"):
        text = text[1:]
    commands = _parse_commands(text)
    if not any(command.instruction == "from" for command in commands):
        raise ModelfileError(NO_FROM)
    return Modelfile(commands)


_BOMS = (
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def _decode(data: bytes) -> str:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(encoding, "replace")
    return data.decode("utf-8", "replace")


def _parse_commands(text: str) -> list[Command]:
    commands: list[Command] = []
    state = _State.NIL
    line = command_line = 1
    buf: list[str] = []
    name = instruction = role = ""

    for ch in text:
        if ch in _NEWLINE:
            line += 1

        # Which state this rune leads to, and what it adds to the buffer.
        keep = ""
        if state is _State.NIL:
            if ch == "#":
                after = _State.COMMENT
            elif ch in _WHITESPACE:
                after = _State.NIL
            else:
                after, keep, command_line = _State.NAME, ch, line
        elif state is _State.NAME:
            if ch in _ALPHA:
                after, keep = _State.NAME, ch
            elif ch in _BLANK:
                after = _State.VALUE
            else:
                raise _line_error(line, INVALID_COMMAND)
        elif state is _State.VALUE:
            after, keep = (_State.NIL if ch in _WHITESPACE else _State.VALUE), ch
        elif state is _State.PARAMETER or state is _State.MESSAGE:
            allowed = ch in (_WORD if state is _State.PARAMETER else _ALPHA)
            if allowed:
                after, keep = state, ch
            elif ch in _BLANK:
                after = _State.VALUE
            else:
                raise ModelfileError(f"{UNEXPECTED_EOF}: {''.join(buf)}")
        else:
            after = _State.NIL if ch in _NEWLINE else _State.COMMENT

        if after is not state:
            if state is _State.NAME:
                word = "".join(buf).lower()
                if word != "parameter" and word not in INSTRUCTIONS:
                    raise _line_error(line, INVALID_COMMAND)
                instruction = name = word
                if word == "parameter":
                    after = _State.PARAMETER
                elif word == "message":
                    after = _State.MESSAGE
            elif state is _State.PARAMETER:
                name = "".join(buf)
            elif state is _State.MESSAGE:
                role = "".join(buf)
                if role not in MESSAGE_ROLES:
                    raise _line_error(line, INVALID_ROLE)
            elif state is _State.VALUE:
                # A blank, or a newline inside an open quote, belongs to the value.
                if ch in _BLANK or _quote_is_open(buf):
                    buf.append(ch)
                    continue
                commands.append(_command(name, instruction, role, buf, command_line))
                role = ""
            buf.clear()
            state = after

        if keep and keep.isprintable():  # non-printable runes are dropped, as in Ollama
            buf.append(keep)

    if state is _State.VALUE:
        if _quote_is_open(buf):
            raise ModelfileError(UNEXPECTED_EOF)
        commands.append(_command(name, instruction, role, buf, command_line))
    elif state not in (_State.NIL, _State.COMMENT):
        raise ModelfileError(UNEXPECTED_EOF)
    return commands


def _command(name: str, instruction: str, role: str, buf: list[str], line: int) -> Command:
    value = "".join(buf).strip(_WHITESPACE)  # a closed quote: strip it
    quotes = 3 if value.startswith('"""') else 1 if value.startswith('"') else 0
    value = value[quotes : len(value) - quotes]
    if role:
        value = f"{role}: {value}"
    return Command(name, value, line, instruction)
