"""A parsed template, parsed the way Ollama parses model templates.

Ollama parses with `missingkey=zero` and its function map, then collects the identifiers the
template uses (field and variable names, lower-cased). A template that mentions neither
`messages` nor `response` gets a trailing `{{ .Response }}`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from pollama.templates.builtins import FUNCTIONS
from pollama.templates.execute import Executor
from pollama.templates.nodes import (
    ActionNode,
    BranchNode,
    CommandNode,
    FieldNode,
    ListNode,
    Node,
    PipeNode,
    TemplateNode,
    VariableNode,
)
from pollama.templates.parser import parse_trees

DEFAULT_TEMPLATE = "{{ .Prompt }}"


def response_action() -> ActionNode:
    """The `{{ .Response }}` Ollama appends to templates that lack one."""
    field = FieldNode(0, ["Response"])
    return ActionNode(0, 0, PipeNode(0, 0, cmds=[CommandNode(0, [field])]))


def _identifiers(node: Node | None) -> Iterator[str]:
    """Field and variable names, walked the way Ollama's template.Identifiers does."""
    if isinstance(node, ListNode):
        for child in node.nodes:
            yield from _identifiers(child)
    elif isinstance(node, (ActionNode, TemplateNode)):
        yield from _identifiers(node.pipe)
    elif isinstance(node, BranchNode):
        yield from _identifiers(node.pipe)
        yield from _identifiers(node.body)
        yield from _identifiers(node.else_body)
    elif isinstance(node, PipeNode):
        for cmd in node.cmds:
            for arg in cmd.args:
                yield from _identifiers(arg)
    elif isinstance(node, (FieldNode, VariableNode)):
        yield from node.ident


@dataclass(frozen=True, eq=False)
class Template:
    """A parsed template: every tree it defines, plus what Ollama derives from them."""

    source: str
    trees: Mapping[str, ListNode]  # "" is the main template
    identifiers: frozenset[str]  # lower-cased, as Ollama's Template.Vars

    @property
    def root(self) -> ListNode:
        return self.trees[""]

    @property
    def is_messages_style(self) -> bool:
        return "messages" in self.identifiers

    @property
    def ollama_root(self) -> ListNode:
        """The main template as Ollama runs it (with `{{ .Response }}` appended if needed)."""
        if {"messages", "response"} & self.identifiers:
            return self.root
        return ListNode(self.root.pos, [*self.root.nodes, response_action()])

    def execute(self, data: Any, root: ListNode | None = None) -> str:
        """Run `root` (the main template by default) with `data` as dot; raises TemplateError."""
        return Executor(self.source, self.trees).run(self.root if root is None else root, data)


@lru_cache(maxsize=256)
def parse(text: str) -> Template:
    """Parse a Go template (cached); raises TemplateError with Go's message."""
    trees = parse_trees(text, FUNCTIONS)
    names = frozenset(name.lower() for tree in trees.values() for name in _identifiers(tree))
    return Template(text, trees, names)


def validate(text: str) -> None:
    """Raise TemplateError if `text` is not a valid template (Ollama checks this at create)."""
    parse(text)


def execute(template: str, data: dict[str, Any]) -> str:
    """Raw execution of `template` with `data` as its root value, without Ollama's wrapper."""
    return parse(template).execute(data)
