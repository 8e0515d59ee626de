"""Tokenizer for Go `text/template` source, following Go's lexer state machine.

Positions are character offsets into the source; lines are 1-based. Lexing stops at the first
error, which is returned as a final `ERROR` item (the parser reports it when it reaches it).
"""

from __future__ import annotations

from collections.abc import Callable

from pollama.go.strconv import quote as go_quote
from pollama.templates.tokens import KEYWORDS, Item, ItemType

LEFT_DELIM = "{{"
RIGHT_DELIM = "}}"
LEFT_COMMENT = "/*"
RIGHT_COMMENT = "*/"
TRIM_MARKER_LEN = 2  # "- " or " -"
SPACE_CHARS = " \t\r\n"
EOF = ""


def is_space(ch: str) -> bool:
    return ch != EOF and ch in SPACE_CHARS


def is_alphanumeric(ch: str) -> bool:
    return ch != EOF and (ch == "_" or ch.isalpha() or ch.isdecimal())


def format_rune(ch: str) -> str:
    """Go's `%#U`: `U+0023 '#'`."""
    code = f"U+{ord(ch):04X}"
    return f"{code} '{ch}'" if ch.isprintable() else code


def _has_left_trim_marker(text: str, pos: int) -> bool:
    return len(text) >= pos + 2 and text[pos] == "-" and is_space(text[pos + 1])


def _has_right_trim_marker(text: str, pos: int) -> bool:
    return len(text) >= pos + 2 and is_space(text[pos]) and text[pos + 1] == "-"


_State = Callable[[], "_State | None"]


class _Lexer:
    def __init__(self, text: str) -> None:
        self.input = text
        self.start = 0
        self.pos = 0
        self.paren_depth = 0
        self.items: list[Item] = []
        self._line_cache = (0, 1)  # (offset, line at offset), to count newlines incrementally

    # --- primitives -------------------------------------------------------------------------

    def line_at(self, offset: int) -> int:
        cached_offset, cached_line = self._line_cache
        if offset >= cached_offset:
            line = cached_line + self.input.count("\n", cached_offset, offset)
        else:
            line = 1 + self.input.count("\n", 0, offset)
        self._line_cache = (offset, line)
        return line

    def next(self) -> str:
        if self.pos >= len(self.input):
            self.pos = len(self.input) + 1  # so that backup() returns to the end
            return EOF
        ch = self.input[self.pos]
        self.pos += 1
        return ch

    def peek(self) -> str:
        return self.input[self.pos] if self.pos < len(self.input) else EOF

    def backup(self) -> None:
        self.pos -= 1

    def accept(self, valid: str) -> bool:
        if self.peek() != EOF and self.peek() in valid:
            self.pos += 1
            return True
        return False

    def accept_run(self, valid: str) -> None:
        while self.accept(valid):
            pass

    def emit(self, typ: ItemType) -> None:
        end = min(self.pos, len(self.input))
        self.items.append(
            Item(typ, self.start, self.input[self.start : end], self.line_at(self.start))
        )
        self.start = end

    def ignore(self) -> None:
        self.start = min(self.pos, len(self.input))

    def errorf(self, message: str) -> _State | None:
        """Emit an error item; returning None stops the lexer."""
        self.items.append(Item(ItemType.ERROR, self.start, message, self.line_at(self.start)))
        return None

    def at_right_delim(self) -> tuple[bool, bool]:
        """(at the closing delimiter, with a trim marker)."""
        text = self.input
        if _has_right_trim_marker(text, self.pos) and text.startswith(
            RIGHT_DELIM, self.pos + TRIM_MARKER_LEN
        ):
            return True, True
        return text.startswith(RIGHT_DELIM, self.pos), False

    def at_terminator(self) -> bool:
        ch = self.peek()
        if is_space(ch) or ch in (EOF, ".", ",", "|", ":", ")", "("):
            return True
        return self.input.startswith(RIGHT_DELIM, self.pos)

    def run(self) -> list[Item]:
        state: _State | None = self.lex_text
        while state is not None:
            state = state()
        return self.items

    # --- states -----------------------------------------------------------------------------

    def lex_text(self) -> _State | None:
        found = self.input.find(LEFT_DELIM, self.pos)
        if found < 0:
            self.pos = len(self.input)
            if self.pos > self.start:
                self.emit(ItemType.TEXT)
            self.emit(ItemType.EOF)
            return None
        if found > self.pos:
            self.pos = found
            trim = 0
            if _has_left_trim_marker(self.input, found + len(LEFT_DELIM)):
                text = self.input[self.start : found]
                trim = len(text) - len(text.rstrip(SPACE_CHARS))
            self.pos -= trim
            if self.pos > self.start:
                self.emit(ItemType.TEXT)
            self.pos += trim
            self.ignore()
        return self.lex_left_delim

    def lex_left_delim(self) -> _State | None:
        self.pos += len(LEFT_DELIM)
        trim = _has_left_trim_marker(self.input, self.pos)
        after_marker = TRIM_MARKER_LEN if trim else 0
        if self.input.startswith(LEFT_COMMENT, self.pos + after_marker):
            self.pos += after_marker
            self.ignore()
            return self.lex_comment
        self.emit(ItemType.LEFT_DELIM)
        self.pos += after_marker
        self.ignore()
        self.paren_depth = 0
        return self.lex_inside_action

    def lex_comment(self) -> _State | None:
        self.pos += len(LEFT_COMMENT)
        end = self.input.find(RIGHT_COMMENT, self.pos)
        if end < 0:
            return self.errorf("unclosed comment")
        self.pos = end + len(RIGHT_COMMENT)
        delim, trim = self.at_right_delim()
        if not delim:
            return self.errorf("comment ends before closing delimiter")
        if trim:
            self.pos += TRIM_MARKER_LEN
        self.pos += len(RIGHT_DELIM)
        if trim:
            self.pos = self._skip_leading_space(self.pos)
        self.ignore()
        return self.lex_text

    def _skip_leading_space(self, pos: int) -> int:
        rest = self.input[pos:]
        return pos + len(rest) - len(rest.lstrip(SPACE_CHARS))

    def lex_right_delim(self) -> _State | None:
        _, trim = self.at_right_delim()
        if trim:
            self.pos += TRIM_MARKER_LEN
            self.ignore()
        self.pos += len(RIGHT_DELIM)
        self.emit(ItemType.RIGHT_DELIM)
        if trim:
            self.pos = self._skip_leading_space(self.pos)
            self.ignore()
        return self.lex_text

    def lex_inside_action(self) -> _State | None:
        delim, _ = self.at_right_delim()
        if delim:
            if self.paren_depth == 0:
                return self.lex_right_delim
            return self.errorf("unclosed left paren")
        ch = self.next()
        if ch == EOF:
            return self.errorf("unclosed action")
        if is_space(ch):
            self.backup()  # put the space back in case it starts " -}}"
            return self.lex_space
        simple = {"=": ItemType.ASSIGN, "|": ItemType.PIPE}
        if ch in simple:
            self.emit(simple[ch])
        elif ch == ":":
            if self.next() != "=":
                return self.errorf("expected :=")
            self.emit(ItemType.DECLARE)
        elif ch == '"':
            return self.lex_quote
        elif ch == "`":
            return self.lex_raw_quote
        elif ch == "$":
            return self.lex_variable
        elif ch == "'":
            return self.lex_char
        elif ch == "." and not ("0" <= self.peek() <= "9" and self.peek() != EOF):
            if self.pos < len(self.input):
                return self.lex_field
            self.backup()
            return self.lex_number
        elif ch in "+-." or "0" <= ch <= "9":
            self.backup()
            return self.lex_number
        elif is_alphanumeric(ch):
            self.backup()
            return self.lex_identifier
        elif ch == "(":
            self.emit(ItemType.LEFT_PAREN)
            self.paren_depth += 1
        elif ch == ")":
            self.paren_depth -= 1
            if self.paren_depth < 0:
                return self.errorf("unexpected right paren")
            self.emit(ItemType.RIGHT_PAREN)
        elif ch <= "\x7f" and ch.isprintable():
            self.emit(ItemType.CHAR)
        else:
            return self.errorf(f"unrecognized character in action: {format_rune(ch)}")
        return self.lex_inside_action

    def lex_space(self) -> _State | None:
        spaces = 0
        while is_space(self.peek()):
            self.next()
            spaces += 1
        # A trim-marked closing delimiter has a minus after a space.
        if _has_right_trim_marker(self.input, self.pos - 1) and self.input.startswith(
            RIGHT_DELIM, self.pos - 1 + TRIM_MARKER_LEN
        ):
            self.backup()
            if spaces == 1:
                return self.lex_right_delim
        self.emit(ItemType.SPACE)
        return self.lex_inside_action

    def lex_identifier(self) -> _State | None:
        while True:
            ch = self.next()
            if is_alphanumeric(ch):
                continue
            self.backup()
            word = self.input[self.start : self.pos]
            if not self.at_terminator():
                return self.errorf(f"bad character {format_rune(ch)}")
            if word in KEYWORDS:
                self.emit(KEYWORDS[word])
            elif word in ("true", "false"):
                self.emit(ItemType.BOOL)
            else:
                self.emit(ItemType.IDENTIFIER)
            return self.lex_inside_action

    def lex_field(self) -> _State | None:
        return self._lex_field_or_variable(ItemType.FIELD)

    def lex_variable(self) -> _State | None:
        return self._lex_field_or_variable(ItemType.VARIABLE)

    def _lex_field_or_variable(self, typ: ItemType) -> _State | None:
        if self.at_terminator():  # a lone "." or "$"
            self.emit(ItemType.VARIABLE if typ is ItemType.VARIABLE else ItemType.DOT)
            return self.lex_inside_action
        while True:
            ch = self.next()
            if not is_alphanumeric(ch):
                self.backup()
                break
        if not self.at_terminator():
            return self.errorf(f"bad character {format_rune(ch)}")
        self.emit(typ)
        return self.lex_inside_action

    def _lex_quoted(self, quote: str, typ: ItemType, message: str) -> _State | None:
        while True:
            ch = self.next()
            if ch == "\\":
                escaped = self.next()
                if escaped not in (EOF, "\n"):
                    continue
                return self.errorf(message)
            if ch in (EOF, "\n"):
                return self.errorf(message)
            if ch == quote:
                break
        self.emit(typ)
        return self.lex_inside_action

    def lex_char(self) -> _State | None:
        return self._lex_quoted("'", ItemType.CHAR_CONSTANT, "unterminated character constant")

    def lex_quote(self) -> _State | None:
        return self._lex_quoted('"', ItemType.STRING, "unterminated quoted string")

    def lex_raw_quote(self) -> _State | None:
        end = self.input.find("`", self.pos)
        if end < 0:
            return self.errorf("unterminated raw quoted string")
        self.pos = end + 1
        self.emit(ItemType.RAW_STRING)
        return self.lex_inside_action

    def lex_number(self) -> _State | None:
        if not self._scan_number():
            return self.errorf(f"bad number syntax: {self._quoted_so_far()}")
        if self.peek() in ("+", "-") and self.peek() != EOF:
            # Complex: 1+2i. No spaces, must end in 'i'.
            if not self._scan_number() or self.input[self.pos - 1] != "i":
                return self.errorf(f"bad number syntax: {self._quoted_so_far()}")
            self.emit(ItemType.COMPLEX)
        else:
            self.emit(ItemType.NUMBER)
        return self.lex_inside_action

    def _quoted_so_far(self) -> str:
        return go_quote(self.input[self.start : min(self.pos, len(self.input))])

    def _scan_number(self) -> bool:
        self.accept("+-")
        digits = "0123456789_"
        if self.accept("0"):
            if self.accept("xX"):
                digits = "0123456789abcdefABCDEF_"
            elif self.accept("oO"):
                digits = "01234567_"
            elif self.accept("bB"):
                digits = "01_"
        self.accept_run(digits)
        if self.accept("."):
            self.accept_run(digits)
        if len(digits) == 11 and self.accept("eE"):
            self.accept("+-")
            self.accept_run("0123456789_")
        if len(digits) == 23 and self.accept("pP"):
            self.accept("+-")
            self.accept_run("0123456789_")
        self.accept("i")
        if is_alphanumeric(self.peek()):
            self.next()
            return False
        return True


def lex(text: str) -> list[Item]:
    """All items of `text`, ending with an EOF or an ERROR item."""
    return _Lexer(text).run()
