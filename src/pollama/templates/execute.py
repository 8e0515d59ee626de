"""Execution of a parsed Go template, following Go's text/template exec.go.

Scoping is Go's: variables live on one stack; `if`/`with`/`range` pop what their pipeline and
body declared at `{{end}}`, an assignment (`$x = ...`) updates the nearest existing variable.
Execution errors carry Go's message and position, e.g.
`template: :1:7: executing "" at <.Foo.Bar>: nil pointer evaluating interface {}.Bar`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pollama.go.strconv import quote as go_quote
from pollama.templates.evaluate import Evaluator
from pollama.templates.gotypes import (
    NIL,
    GoStruct,
    element_in_interface,
    go_type_name,
    is_nil,
    is_true,
)
from pollama.templates.nodes import (
    ActionNode,
    BranchNode,
    BreakNode,
    ContinueNode,
    ListNode,
    Node,
    TemplateNode,
    TextNode,
)
from pollama.templates.printing import format_value

MAX_TEMPLATE_DEPTH = 64  # nested {{template}} calls (Go allows 100000; Python's stack is smaller)


class _Break(Exception):
    pass


class _Continue(Exception):
    pass


class Executor(Evaluator):
    """Runs one template against one data value; create one per execution."""

    def run(self, root: ListNode, data: Any) -> str:
        self.vars = [["$", data, False]]
        try:
            self.walk(data, root)
        except RecursionError:
            self.errorf("template nesting too deep")
        return "".join(self.out)

    # --- statements -------------------------------------------------------------------------

    def walk(self, dot: Any, node: Node) -> None:
        self.node = node
        if isinstance(node, TextNode):
            self.out.append(node.text)
        elif isinstance(node, ActionNode):
            value = self.eval_pipeline(dot, node.pipe)
            if not node.pipe.decl:  # a declaration prints nothing
                self.print_value(node, value)
        elif isinstance(node, ListNode):
            for child in node.nodes:
                self.walk(dot, child)
        elif isinstance(node, BranchNode):
            if node.kind == "range":
                self.walk_range(dot, node)
            else:
                self.walk_if_or_with(dot, node)
        elif isinstance(node, TemplateNode):
            self.walk_template(dot, node)
        elif isinstance(node, BreakNode):
            raise _Break
        elif isinstance(node, ContinueNode):
            raise _Continue
        else:
            self.errorf(f"unknown node: {node}")

    def print_value(self, node: Node, value: Any) -> None:
        self.node = node
        if is_nil(value):
            self.out.append("<no value>")
        elif callable(value) and not isinstance(value, GoStruct):
            self.errorf(f"can't print {node} of type {go_type_name(value)}")
        else:
            self.out.append(format_value(value))

    def walk_if_or_with(self, dot: Any, node: BranchNode) -> None:
        mark = len(self.vars)
        try:
            value = self.eval_pipeline(dot, node.pipe)
            if is_true(value):
                if node.kind == "with":
                    self._walk_with_dot(value, False, node.body)
                else:
                    self.walk(dot, node.body)
            elif node.else_body is not None:
                self.walk(dot, node.else_body)
        finally:
            del self.vars[mark:]

    def walk_range(self, dot: Any, node: BranchNode) -> None:
        self.node = node
        mark = len(self.vars)
        try:
            value = self.eval_pipeline(dot, node.pipe)
            if self._iterate(node, value):
                return
            if node.else_body is not None:
                self.walk(dot, node.else_body)
        except _Break:
            pass
        finally:
            del self.vars[mark:]

    def _iterate(self, node: BranchNode, value: Any) -> bool:
        """Run the range body over `value`; False when there was nothing to iterate."""
        body_mark = len(self.vars)
        pipe = node.pipe

        def one_iteration(index: Any, elem: Any, in_iface: bool) -> None:
            if pipe.decl:
                if pipe.is_assign:
                    target = pipe.decl[0].ident[0]
                    if len(pipe.decl) > 1:
                        self.set_var(target, index)
                    else:
                        self.set_var(target, elem, in_iface)
                else:  # the last declared variable gets the element
                    self.vars[-1][1:] = [elem, in_iface]
            if len(pipe.decl) > 1:
                if pipe.is_assign:
                    self.set_var(pipe.decl[1].ident[0], elem, in_iface)
                else:
                    self.vars[-2][1:] = [index, False]
            try:
                self._walk_with_dot(elem, in_iface, node.body)
            except _Continue:
                pass
            finally:
                del self.vars[body_mark:]

        if is_nil(value):
            return False
        if isinstance(value, int) and not isinstance(value, bool):
            if len(pipe.decl) > 1:
                self.errorf(f"can't use {value} to iterate over more than one variable")
            for i in range(value):
                one_iteration(None, i, False)
            return value > 0
        if isinstance(value, (list, tuple, bytes)):
            pairs: Iterable[tuple[Any, Any]] = enumerate(value)
        elif isinstance(value, dict):
            pairs = ((key, value[key]) for key in sorted(value, key=_map_key_order))
        else:
            self.errorf(f"range can't iterate over {format_value(value)}")
        concrete = isinstance(value, bytes)
        for key, elem in pairs:
            in_iface = not concrete and element_in_interface(value, elem)
            one_iteration(key, NIL if elem is None else elem, in_iface)
        return len(value) > 0

    def _walk_with_dot(self, dot: Any, in_iface: bool, node: Node) -> None:
        saved, self.dot_iface = self.dot_iface, in_iface
        try:
            self.walk(dot, node)
        finally:
            self.dot_iface = saved

    def walk_template(self, dot: Any, node: TemplateNode) -> None:
        self.node = node
        root = self.trees.get(node.name)
        if root is None:
            self.errorf(f"template {go_quote(node.name)} not defined")
        if self.depth >= MAX_TEMPLATE_DEPTH:
            self.errorf(f"exceeded maximum template depth ({MAX_TEMPLATE_DEPTH})")
        new_dot = self.eval_pipeline(dot, node.pipe) if node.pipe is not None else None
        saved = (self.vars, self.name)
        self.vars, self.name = [["$", new_dot, False]], node.name  # no caller variables
        self.depth += 1
        try:
            self._walk_with_dot(new_dot, False, root)
        finally:
            self.vars, self.name = saved
            self.depth -= 1


def _map_key_order(key: Any) -> tuple[int, Any]:
    if isinstance(key, (int, float)) and not isinstance(key, bool):
        return (0, key)
    return (1, str(key))
