"""Recursive-descent parser for Go templates, following Go's text/template/parse.

`parse_trees(text, functions)` returns every template the source defines: the main one under
the name "" plus one per `{{define}}`/`{{block}}`. Errors carry Go's exact messages, e.g.
`template: :3: unexpected "}" in operand`.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import NoReturn

from pollama.templates.errors import TemplateError
from pollama.templates.lexer import lex
from pollama.templates.literals import SyntaxErr, go_quote, parse_number, unquote
from pollama.templates.nodes import (
    ActionNode,
    BoolNode,
    BranchKind,
    BranchNode,
    BreakNode,
    ChainNode,
    CommandNode,
    ContinueNode,
    DotNode,
    ElseNode,
    EndNode,
    FieldNode,
    IdentifierNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    StringNode,
    TemplateNode,
    TextNode,
    VariableNode,
    is_empty_tree,
)
from pollama.templates.tokens import Item, ItemType

T = ItemType
PARSE_NAME = ""  # Ollama parses every template under the empty name
MAX_PAREN_DEPTH = 200  # Go allows 10000; Python's stack is the limit here
_LITERAL_TERMS = (BoolNode, StringNode, NumberNode, NilNode, DotNode)
_COMMAND_STARTS = frozenset(
    {
        T.BOOL,
        T.CHAR_CONSTANT,
        T.COMPLEX,
        T.DOT,
        T.FIELD,
        T.IDENTIFIER,
        T.NUMBER,
        T.NIL,
        T.RAW_STRING,
        T.STRING,
        T.VARIABLE,
        T.LEFT_PAREN,
    }
)


class _Parser:
    def __init__(self, text: str, functions: Collection[str]) -> None:
        self.items = lex(text)
        self.functions = functions
        self.index = 0
        self.latest = 0  # the most recently lexed item: parse errors report its line
        self.vars = ["$"]
        self.range_depth = 0
        self.paren_depth = 0
        self.action_line = 0
        self.trees: dict[str, ListNode] = {}

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

    # --- pipelines --------------------------------------------------------------------------

    def pipeline(self, context: str, end: ItemType) -> PipeNode:
        first = self.peek_non_space()
        pipe = PipeNode(first.pos, first.line)
        self._declarations(pipe, context)
        while True:
            item = self.next_non_space()
            if item.typ is end:
                self.check_pipeline(pipe, context)
                return pipe
            if item.typ in _COMMAND_STARTS:
                self.backup()
                pipe.cmds.append(self.command())
            else:
                self.unexpected(item, context)

    def _declarations(self, pipe: PipeNode, context: str) -> None:
        """`$x :=`, `$x =` and `$i, $e :=` at the start of a pipeline."""
        while (var := self.peek_non_space()).typ is T.VARIABLE:
            var_index = self.index
            self.next()
            follower = self.peek_non_space()
            if follower.typ in (T.ASSIGN, T.DECLARE):
                pipe.is_assign = follower.typ is T.ASSIGN
                self.next_non_space()
                pipe.decl.append(VariableNode(var.pos, var.val.split(".")))
                self.vars.append(var.val)
                return
            if follower.typ is T.CHAR and follower.val == ",":
                self.next_non_space()
                pipe.decl.append(VariableNode(var.pos, var.val.split(".")))
                self.vars.append(var.val)
                if context == "range" and len(pipe.decl) < 2:
                    if self.peek_non_space().typ in (T.VARIABLE, T.RIGHT_DELIM, T.RIGHT_PAREN):
                        continue  # the second variable of "range $i, $e :="
                    self.errorf("range can only initialize variables")
                self.errorf(f"too many declarations in {context}")
            self.index = var_index  # "$x" is an operand, not a declaration
            return

    def check_pipeline(self, pipe: PipeNode, context: str) -> None:
        if not pipe.cmds:
            self.errorf(f"missing value for {context}")
        for stage, cmd in enumerate(pipe.cmds[1:], start=2):
            if isinstance(cmd.args[0], _LITERAL_TERMS):
                self.errorf(f"non executable command in pipeline stage {stage}")

    def command(self) -> CommandNode:
        cmd = CommandNode(self.peek_non_space().pos)
        while True:
            self.peek_non_space()
            operand = self.operand()
            if operand is not None:
                cmd.args.append(operand)
            item = self.next()
            if item.typ is T.SPACE:
                continue
            if item.typ in (T.RIGHT_DELIM, T.RIGHT_PAREN):
                self.backup()
            elif item.typ is not T.PIPE:
                self.unexpected(item, "operand")
            break
        if not cmd.args:
            self.errorf("empty command")
        return cmd

    def operand(self) -> Node | None:
        node = self.term()
        if node is None or self.peek().typ is not T.FIELD:
            return node
        chain = ChainNode(self.peek().pos, node)
        while self.peek().typ is T.FIELD:
            chain.fields.append(self.next().val[1:])
        if isinstance(node, FieldNode):
            return FieldNode(chain.pos, node.ident + chain.fields)
        if isinstance(node, VariableNode):
            return VariableNode(chain.pos, node.ident + chain.fields)
        if isinstance(node, _LITERAL_TERMS):
            self.errorf(f"unexpected . after term {go_quote(str(node))}")
        return chain

    def term(self) -> Node | None:
        item = self.next_non_space()
        match item.typ:
            case T.IDENTIFIER:
                if item.val not in self.functions:
                    self.errorf(f"function {go_quote(item.val)} not defined")
                return IdentifierNode(item.pos, item.val)
            case T.DOT:
                return DotNode(item.pos)
            case T.NIL:
                return NilNode(item.pos)
            case T.VARIABLE:
                return self.use_var(item)
            case T.FIELD:
                return FieldNode(item.pos, [item.val[1:]])
            case T.BOOL:
                return BoolNode(item.pos, item.val == "true")
            case T.CHAR_CONSTANT | T.COMPLEX | T.NUMBER:
                try:
                    number = parse_number(
                        item.val,
                        is_char=item.typ is T.CHAR_CONSTANT,
                        is_complex=item.typ is T.COMPLEX,
                    )
                except SyntaxErr as exc:
                    self.errorf(str(exc))
                return NumberNode(item.pos, item.val, number, item.typ is T.CHAR_CONSTANT)
            case T.LEFT_PAREN:
                if self.paren_depth >= MAX_PAREN_DEPTH:
                    self.errorf("max expression depth exceeded")
                self.paren_depth += 1
                try:
                    return self.pipeline("parenthesized pipeline", T.RIGHT_PAREN)
                finally:
                    self.paren_depth -= 1
            case T.STRING | T.RAW_STRING:
                return StringNode(item.pos, item.val, self.unquote(item.val))
        self.backup()
        return None

    def use_var(self, item: Item) -> VariableNode:
        node = VariableNode(item.pos, item.val.split("."))
        if node.ident[0] not in self.vars:
            self.errorf(f"undefined variable {go_quote(node.ident[0])}")
        return node

    def unquote(self, literal: str) -> str:
        try:
            return unquote(literal)
        except SyntaxErr as exc:
            self.errorf(str(exc))


def parse_trees(text: str, functions: Collection[str]) -> dict[str, ListNode]:
    """All templates in `text` by name ("" is the main one); raises TemplateError."""
    return _Parser(text, functions).parse()
