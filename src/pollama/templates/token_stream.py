"""The parser's view of the lexed items: lookahead, backing up, and Go's parse error texts."""

from __future__ import annotations

from typing import NoReturn

from pollama.templates.errors import TemplateError
from pollama.templates.lexer import lex
from pollama.templates.tokens import Item, ItemType

T = ItemType
PARSE_NAME = ""  # Ollama parses every template under the empty name


class TokenStream:
    def __init__(self, text: str) -> None:
        self.items = lex(text)
        self.index = 0
        self.latest = 0  # the most recently lexed item: parse errors report its line
        self.action_line = 0  # the line of the action being parsed, 0 outside one

    # --- token stream ----------------------------------------------------------------------

    def next(self) -> Item:
        item = self.items[min(self.index, len(self.items) - 1)]
        self.latest = max(self.latest, self.index)
        self.index += 1
        return item

    def backup(self) -> None:
        self.index -= 1

    def peek(self) -> Item:
        item = self.next()
        self.backup()
        return item

    def next_non_space(self) -> Item:
        while (item := self.next()).typ is T.SPACE:
            pass
        return item

    def peek_non_space(self) -> Item:
        item = self.next_non_space()
        self.backup()
        return item

    def expect(self, expected: ItemType, context: str) -> Item:
        item = self.next_non_space()
        if item.typ is not expected:
            self.unexpected(item, context)
        return item

    # --- errors -----------------------------------------------------------------------------

    def errorf(self, message: str) -> NoReturn:
        line = self.items[min(self.latest, len(self.items) - 1)].line
        raise TemplateError(f"template: {PARSE_NAME}:{line}: {message}")

    def unexpected(self, item: Item, context: str) -> NoReturn:
        if item.typ is T.ERROR:
            extra = ""
            if self.action_line and self.action_line != item.line:
                extra = f" in action started at {PARSE_NAME}:{self.action_line}"
                if item.val.endswith(" action"):
                    extra = extra[len(" in action") :]  # avoid "action in action"
            self.errorf(f"{item}{extra}")
        self.errorf(f"unexpected {item} in {context}")
