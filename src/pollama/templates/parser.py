"""Recursive-descent parser for Go templates, following Go's text/template/parse.

`parse_trees(text, functions)` returns every template the source defines: the main one under
the name "" plus one per `{{define}}`/`{{block}}`. Errors carry Go's exact messages, e.g.
`template: :3: unexpected "}" in operand`.
"""

from __future__ import annotations

from collections.abc import Collection

from pollama.go.strconv import quote as go_quote
from pollama.templates.nodes import (
    ActionNode,
    BranchKind,
    BranchNode,
    BreakNode,
    ContinueNode,
    ElseNode,
    EndNode,
    ListNode,
    Node,
    TemplateNode,
    TextNode,
    is_empty_tree,
)
from pollama.templates.pipelines import PipelineParser
from pollama.templates.tokens import Item, ItemType

T = ItemType


class _Parser(PipelineParser):
    """Templates, `{{define}}`s and the actions between their delimiters, over pipelines."""

    def __init__(self, text: str, functions: Collection[str]) -> None:
        super().__init__(text, functions)
        self.range_depth = 0
        self.trees: dict[str, ListNode] = {}

    # --- templates --------------------------------------------------------------------------

    def parse(self) -> dict[str, ListNode]:
        root = ListNode(self.peek().pos)
        while self.peek().typ is not T.EOF:
            if self.peek().typ is T.LEFT_DELIM:
                delim_index = self.index
                self.next()
                if self.next_non_space().typ is T.DEFINE:
                    self.parse_definition()
                    continue
                self.index = delim_index
            node = self.text_or_action()
            if isinstance(node, (EndNode, ElseNode)):
                self.errorf(f"unexpected {node}")
            root.nodes.append(node)
        self.add("", root)
        return self.trees

    def add(self, name: str, root: ListNode) -> None:
        existing = self.trees.get(name)
        if existing is None or is_empty_tree(existing):
            self.trees[name] = root
        elif not is_empty_tree(root):
            self.errorf(f"template: multiple definition of template {go_quote(name)}")

    def _parse_body(self, name: str, context: str, end_message: str) -> None:
        """The body of a define/block: a fresh variable scope up to its {{end}}."""
        saved = (self.vars, self.range_depth)
        self.vars, self.range_depth = ["$"], 0
        body, end = self.item_list()
        if not isinstance(end, EndNode):
            self.errorf(end_message.format(end=end, context=context))
        self.add(name, body)
        self.vars, self.range_depth = saved

    def parse_definition(self) -> None:
        context = "define clause"
        item = self.next_non_space()
        if item.typ not in (T.STRING, T.RAW_STRING):
            self.unexpected(item, context)
        name = self.unquote(item.val)
        self.expect(T.RIGHT_DELIM, context)
        self._parse_body(name, context, "unexpected {end} in {context}")

    def item_list(self) -> tuple[ListNode, Node]:
        """Nodes up to an {{end}} or {{else}}, which is returned too."""
        body = ListNode(self.peek_non_space().pos)
        while self.peek_non_space().typ is not T.EOF:
            node = self.text_or_action()
            if isinstance(node, (EndNode, ElseNode)):
                return body, node
            body.nodes.append(node)
        self.errorf("unexpected EOF")

    def text_or_action(self) -> Node:
        item = self.next_non_space()
        if item.typ is T.TEXT:
            return TextNode(item.pos, item.val)
        if item.typ is T.LEFT_DELIM:
            self.action_line = item.line
            try:
                return self.action()
            finally:
                self.action_line = 0
        self.unexpected(item, "input")

    def action(self) -> Node:
        item = self.next_non_space()
        match item.typ:
            case T.BLOCK:
                return self.block_control()
            case T.BREAK | T.CONTINUE:
                return self.loop_control(item)
            case T.ELSE:
                return self.else_control()
            case T.END:
                return EndNode(self.expect(T.RIGHT_DELIM, "end").pos)
            case T.IF:
                return self.branch_control("if")
            case T.RANGE:
                return self.branch_control("range")
            case T.TEMPLATE:
                return self.template_control()
            case T.WITH:
                return self.branch_control("with")
        self.backup()
        item = self.peek()
        # Variables declared here persist until the enclosing {{end}}.
        return ActionNode(item.pos, item.line, self.pipeline("command", T.RIGHT_DELIM))

    def loop_control(self, keyword: Item) -> Node:
        name = keyword.val
        item = self.next_non_space()
        if item.typ is not T.RIGHT_DELIM:
            self.unexpected(item, "{{" + name + "}}")
        if self.range_depth == 0:
            self.errorf("{{" + name + "}} outside {{range}}")
        if keyword.typ is T.BREAK:
            return BreakNode(keyword.pos, keyword.line)
        return ContinueNode(keyword.pos, keyword.line)

    def branch_control(self, kind: BranchKind) -> BranchNode:
        saved_vars = len(self.vars)
        pipe = self.pipeline(kind, T.RIGHT_DELIM)
        if kind == "range":
            self.range_depth += 1
        body, next_node = self.item_list()
        if kind == "range":
            self.range_depth -= 1
        else_body = None
        if isinstance(next_node, ElseNode):
            # "{{else if}}" and "{{else with}}" are "{{else}}{{if ...}}...{{end}}{{end}}"
            # with the inner {{end}} shared.
            chained = {"if": T.IF, "with": T.WITH}.get(kind)
            if chained is not None and self.peek().typ is chained:
                self.next()
                else_body = ListNode(next_node.pos, [self.branch_control(kind)])
            else:
                else_body, next_node = self.item_list()
                if not isinstance(next_node, EndNode):
                    self.errorf(f"expected end; found {next_node}")
        del self.vars[saved_vars:]
        return BranchNode(pipe.pos, kind, pipe.line, pipe, body, else_body)

    def else_control(self) -> Node:
        peek = self.peek_non_space()
        if peek.typ in (T.IF, T.WITH):
            return ElseNode(peek.pos, peek.line)
        item = self.expect(T.RIGHT_DELIM, "else")
        return ElseNode(item.pos, item.line)

    def template_name(self, item: Item, context: str) -> str:
        if item.typ not in (T.STRING, T.RAW_STRING):
            self.unexpected(item, context)
        return self.unquote(item.val)

    def template_control(self) -> Node:
        context = "template clause"
        item = self.next_non_space()
        name = self.template_name(item, context)
        pipe = None
        if self.next_non_space().typ is not T.RIGHT_DELIM:
            self.backup()
            pipe = self.pipeline(context, T.RIGHT_DELIM)
        return TemplateNode(item.pos, item.line, name, pipe)

    def block_control(self) -> Node:
        context = "block clause"
        item = self.next_non_space()
        name = self.template_name(item, context)
        pipe = self.pipeline(context, T.RIGHT_DELIM)
        self._parse_body(name, context, "unexpected {end} in {context}")
        return TemplateNode(item.pos, item.line, name, pipe)


def parse_trees(text: str, functions: Collection[str]) -> dict[str, ListNode]:
    """All templates in `text` by name ("" is the main one); raises TemplateError."""
    return _Parser(text, functions).parse()
