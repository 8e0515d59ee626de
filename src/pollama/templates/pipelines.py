"""Pipelines and their operands in Go's text/template grammar: declarations, commands, terms.

Go's text/template/parse/parse.go, Tree.pipeline, Tree.command, Tree.operand and Tree.term.
"""

from __future__ import annotations

from collections.abc import Collection

from pollama.go.strconv import SyntaxErr, unquote
from pollama.go.strconv import quote as go_quote
from pollama.templates.literals import parse_number
from pollama.templates.nodes import (
    BoolNode,
    ChainNode,
    CommandNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    StringNode,
    VariableNode,
)
from pollama.templates.token_stream import TokenStream
from pollama.templates.tokens import Item, ItemType

T = ItemType
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


class PipelineParser(TokenStream):
    def __init__(self, text: str, functions: Collection[str]) -> None:
        super().__init__(text)
        self.functions = functions
        self.vars = ["$"]  # the variables in scope, innermost last
        self.paren_depth = 0

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
