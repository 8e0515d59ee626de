"""Composing GBNF grammars: renaming a converted grammar's root so it can be embedded, and the
thinking prefix that lets a thinking model think freely before its constrained answer (with
`think` and `format` both set, Ollama restarts generation once thinking ends; one grammar does
it in a single pass)."""

from __future__ import annotations

import json

THINKING_RULE = "pollama-thinking"
_SEPARATOR = '("\\n" | " ")? ("\\n" | " ")?'


def literal(text: str) -> str:
    """A GBNF string literal (JSON's escapes are a subset GBNF reads)."""
    return json.dumps(text)


def rename_root(grammar: str, name: str) -> list[str]:
    """The rules of `grammar` with its `root` rule called `name` instead."""
    rules = []
    for line in grammar.splitlines():
        if line.startswith("root ::= "):
            line = f"{name} ::= " + line.removeprefix("root ::= ")
        rules.append(line)
    return rules


def _char_class(ch: str, negated: bool) -> str:
    code = ord(ch)
    escaped = f"\\x{code:02X}" if code < 0x100 else f"\\u{code:04X}"
    return f"[{'^' if negated else ''}{escaped}]"


def _not_ending_in(tag: str) -> str:
    """One step of text that cannot complete `tag`: a character other than the tag's first, or
    a proper prefix of the tag followed by a character that breaks it."""
    options = [_char_class(tag[0], True)]
    for i in range(1, len(tag)):
        options.append(f"{literal(tag[:i])} {_char_class(tag[i], True)}")
    return "(" + " | ".join(options) + ")"


def after_thinking(grammar: str, opening: str, closing: str, *, inside: bool) -> str:
    """`grammar` preceded by a thinking section: free text up to `closing` (already open when
    the prompt ends with the opening tag; optional otherwise)."""
    body = f"{THINKING_RULE}-body ::= {_not_ending_in(closing)}*"
    if inside:
        head = (
            f"root ::= {THINKING_RULE}-body {literal(closing)} {_SEPARATOR} {THINKING_RULE}-answer"
        )
    else:
        head = (
            f"root ::= ({literal(opening)} {_SEPARATOR} {THINKING_RULE}-body {literal(closing)} "
            f"{_SEPARATOR})? {THINKING_RULE}-answer"
        )
    return "\n".join([head, body, *rename_root(grammar, f"{THINKING_RULE}-answer")])
