"""What Ollama reads off a template's parse tree: capabilities, thinking tags, tool-call tag."""

from __future__ import annotations

from collections.abc import Iterator

from pollama.templates.nodes import (
    ActionNode,
    BranchNode,
    CommandNode,
    FieldNode,
    ListNode,
    Node,
    PipeNode,
    TemplateNode,
    TextNode,
)
from pollama.templates.template import parse

DEFAULT_TOOL_CALL_TAG = "{"


def _children(node: Node) -> Iterator[Node]:
    if isinstance(node, ListNode):
        yield from node.nodes
    elif isinstance(node, BranchNode):
        yield node.pipe
        yield node.body
        if node.else_body is not None:
            yield node.else_body
    elif isinstance(node, (ActionNode, TemplateNode)):
        if node.pipe is not None:
            yield node.pipe
    elif isinstance(node, PipeNode):
        yield from node.cmds
    elif isinstance(node, CommandNode):
        yield from node.args


def _uses_field(node: Node, name: str) -> bool:
    if isinstance(node, FieldNode) and node.ident[0] == name:
        return True
    return any(_uses_field(child, name) for child in _children(node))


def _infer_thinking_tags(root: ListNode) -> tuple[str, str]:
    """Ollama's thinking.InferTags.

    For every `.Thinking` inside a `range` over `.Messages`, the nearest enclosing list gives
    the opening tag (its first node, if text) and the closing tag (its last node, if text).
    """
    opening = closing = ""
    ancestors: list[Node] = []

    def visit(node: Node) -> None:
        nonlocal opening, closing
        ancestors.append(node)
        if isinstance(node, FieldNode) and node.ident[0] == "Thinking":
            ranges = [a for a in ancestors if isinstance(a, BranchNode) and a.kind == "range"]
            if ranges and _uses_field(ranges[-1].pipe, "Messages"):
                enclosing = next(a for a in reversed(ancestors) if isinstance(a, ListNode))
                first, last = enclosing.nodes[0], enclosing.nodes[-1]
                if isinstance(first, TextNode):
                    opening = first.text.strip()
                if isinstance(last, TextNode):
                    closing = last.text.strip()
        for child in _children(node):
            visit(child)
        ancestors.pop()

    visit(root)
    return opening, closing


def thinking_tags(template: str) -> tuple[str, str] | None:
    """The (opening, closing) thinking tags the template reveals, e.g. ("<think>", "</think>")."""
    opening, closing = _infer_thinking_tags(parse(template).root)
    return (opening, closing) if opening and closing else None


def _is_tool_calls_if(node: BranchNode) -> bool:
    return any(
        isinstance(arg, FieldNode) and "ToolCalls" in arg.ident
        for cmd in node.pipe.cmds
        for arg in cmd.args
    )


def _find_tool_calls_if(nodes: list[Node]) -> BranchNode | None:
    for node in nodes:
        if isinstance(node, BranchNode):
            if node.kind == "if" and _is_tool_calls_if(node):
                return node
            found = _find_tool_calls_if(node.body.nodes)
            if found is None and node.else_body is not None:
                found = _find_tool_calls_if(node.else_body.nodes)
            if found is not None:
                return found
        elif isinstance(node, ListNode) and (found := _find_tool_calls_if(node.nodes)):
            return found
    return None


def _find_text(nodes: list[Node]) -> TextNode | None:
    """The first non-blank text, searching into if/range/with but stopping at any action."""
    for node in nodes:
        if isinstance(node, TextNode):
            if node.text.strip():
                return node
        elif isinstance(node, BranchNode):
            found = _find_text(node.body.nodes)
            if found is None and node.else_body is not None:
                found = _find_text(node.else_body.nodes)
            return found
        elif isinstance(node, ListNode):
            if found := _find_text(node.nodes):
                return found
        elif isinstance(node, ActionNode):
            return None
    return None


def tool_call_tag(template: str) -> str:
    """The text a model writes before its tool calls: e.g. `<tool_call>`; default `{`."""
    block = _find_tool_calls_if(parse(template).root.nodes)
    text = _find_text(block.body.nodes) if block is not None else None
    if text is None:
        return DEFAULT_TOOL_CALL_TAG
    tag = text.text.replace("\r\n", "\n").split("{", 1)[0].strip()
    return tag or DEFAULT_TOOL_CALL_TAG


def capabilities(template: str) -> set[str]:
    """What the template enables: "tools" (uses .Tools), "insert" (.Suffix), "thinking"."""
    parsed = parse(template)
    found = set()
    if "tools" in parsed.identifiers:
        found.add("tools")
    if "suffix" in parsed.identifiers:
        found.add("insert")
    if thinking_tags(template) is not None:
        found.add("thinking")
    return found
