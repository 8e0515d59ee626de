"""Evaluation of pipelines, following Go's text/template exec.go.

`Evaluator` holds the execution state (the variable stack, the current node for error
positions) and evaluates commands, field chains, function calls and arguments with Go's
semantics; `execute.Executor` adds the statements (text, actions, if/with/range, template).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NoReturn

from pollama.go.strconv import quote as go_quote
from pollama.templates.builtins import FUNCTIONS, FuncError, Function
from pollama.templates.errors import TemplateError
from pollama.templates.gotypes import (
    NIL,
    GoStruct,
    element_in_interface,
    go_type_name,
    is_true,
)
from pollama.templates.nodes import (
    BoolNode,
    ChainNode,
    CommandNode,
    DotNode,
    FieldNode,
    IdentifierNode,
    ListNode,
    NilNode,
    Node,
    NumberNode,
    PipeNode,
    StringNode,
    VariableNode,
)

EXEC_STATUS = 500
MISSING: Any = object()  # no value piped in from the previous command


class Evaluator:
    """Execution state plus expression evaluation; see `execute.Executor`."""

    def __init__(self, source: str, trees: Mapping[str, ListNode], name: str = "") -> None:
        self.source = source
        self.trees = trees
        self.name = name
        self.vars: list[list[Any]] = []  # [name, value, held in an interface?], innermost last
        self.node: Node | None = None
        # Whether dot / the last field looked up sit in a Go interface (an `any` slot): Go then
        # names their type "interface {}" in errors.
        self.dot_iface = False
        self.last_iface = False
        self.depth = 0
        self.out: list[str] = []

    # --- errors -----------------------------------------------------------------------------

    def errorf(self, message: str) -> NoReturn:
        if self.node is None:
            raise TemplateError(f"template: {self.name}: {message}", status=EXEC_STATUS)
        before = self.source[: self.node.pos]
        line = before.count("\n") + 1
        column = len(before[before.rfind("\n") + 1 :].encode())
        context = str(self.node)
        if len(context.encode()) > 20:
            context = context[:20] + "..."
        location = f"template: :{line}:{column}"
        raise TemplateError(
            f"{location}: executing {go_quote(self.name)} at <{context}>: {message}",
            status=EXEC_STATUS,
        )

    # --- variables --------------------------------------------------------------------------

    def _find_var(self, name: str) -> list[Any]:
        for entry in reversed(self.vars):
            if entry[0] == name:
                return entry
        self.errorf(f"undefined variable: {name}")

    def set_var(self, name: str, value: Any, in_iface: bool = False) -> None:
        self._find_var(name)[1:] = [value, in_iface]

    # --- expressions ------------------------------------------------------------------------

    def eval_pipeline(self, dot: Any, pipe: PipeNode) -> Any:
        self.node = pipe
        value = MISSING
        for cmd in pipe.cmds:
            value = self.eval_command(dot, cmd, value)
            if value is NIL:
                value = None  # an interface holding nil is just nil from here on
        for var in pipe.decl:
            if pipe.is_assign:
                self.set_var(var.ident[0], value)
            else:
                self.vars.append([var.ident[0], value, False])
        return value

    def not_a_function(self, args: list[Node], final: Any) -> None:
        if len(args) > 1 or final is not MISSING:
            self.errorf(f"can't give argument to non-function {args[0]}")

    def eval_command(self, dot: Any, cmd: CommandNode, final: Any) -> Any:
        first = cmd.args[0]
        if isinstance(first, FieldNode):
            self.node = first
            return self.eval_field_chain(dot, dot, first.ident, cmd.args, final, self.dot_iface)
        if isinstance(first, ChainNode):
            return self.eval_chain(dot, first, cmd.args, final)
        if isinstance(first, IdentifierNode):
            return self.eval_function(dot, first, cmd, cmd.args, final)
        if isinstance(first, PipeNode):
            self.not_a_function(cmd.args, final)
            return self.eval_pipeline(dot, first)
        if isinstance(first, VariableNode):
            return self.eval_variable(dot, first, cmd.args, final)
        self.node = first
        self.not_a_function(cmd.args, final)
        if isinstance(first, NilNode):
            self.errorf("nil is not a command")
        return self.literal(dot, first)

    def literal(self, dot: Any, node: Node) -> Any:
        if isinstance(node, BoolNode):
            return node.value
        if isinstance(node, DotNode):
            return dot
        if isinstance(node, StringNode):
            return node.text
        if isinstance(node, NumberNode):
            return self.ideal_constant(node)
        self.errorf(f"can't evaluate command {go_quote(str(node))}")

    def ideal_constant(self, node: NumberNode) -> Any:
        """An untyped numeric constant: int unless it is written like a float."""
        self.node = node
        number, text = node.number, node.text
        is_hex_int = (
            len(text) > 2 and text[0] == "0" and text[1] in "xX" and "p" not in text.lower()
        )
        if number.is_complex:
            return number.complex_value
        if (
            number.is_float
            and not is_hex_int
            and not node.is_char
            and any(c in text for c in ".eEpP")
        ):
            return number.float_value
        if number.is_int:
            return number.int_value
        if number.is_uint:
            self.errorf(f"{text} overflows int")
        return None

    def eval_chain(self, dot: Any, chain: ChainNode, args: list[Node] | None, final: Any) -> Any:
        self.node = chain
        if isinstance(chain.node, NilNode):
            self.errorf(f"indirection through explicit nil in {chain}")
        receiver = self.eval_arg(dot, chain.node)
        return self.eval_field_chain(dot, receiver, chain.fields, args, final)

    def eval_variable(
        self, dot: Any, var: VariableNode, args: list[Node] | None, final: Any
    ) -> Any:
        self.node = var
        entry = self._find_var(var.ident[0])
        if len(var.ident) == 1:
            self.not_a_function(args or [var], final)
            return entry[1]
        return self.eval_field_chain(dot, entry[1], var.ident[1:], args, final, entry[2])

    def eval_field_chain(
        self,
        dot: Any,
        receiver: Any,
        names: list[str],
        args: list[Node] | None,
        final: Any,
        receiver_iface: bool = False,
    ) -> Any:
        for name in names[:-1]:
            receiver = self.eval_field(dot, name, None, MISSING, receiver, receiver_iface)
            receiver_iface = self.last_iface
        return self.eval_field(dot, names[-1], args, final, receiver, receiver_iface)

    def eval_field(
        self,
        dot: Any,
        name: str,
        args: list[Node] | None,
        final: Any,
        receiver: Any,
        receiver_iface: bool = False,
    ) -> Any:
        self.last_iface = False
        if receiver is None:
            return None  # Go's invalid value: looking into it quietly yields nothing
        if receiver is NIL:
            self.errorf(f"nil pointer evaluating interface {{}}.{name}")
        method = _go_method(receiver, name)
        if method is not None:  # Go looks for a method first
            result = self.eval_call(dot, Function(method, 0), False, self.node, name, args, final)
            self.last_iface = False
            return result
        has_args = (args is not None and len(args) > 1) or final is not MISSING
        if isinstance(receiver, GoStruct):
            if name in receiver.go_fields():
                if has_args:
                    self.errorf(f"{name} has arguments but cannot be invoked as function")
                value = getattr(receiver, name)
                self.last_iface = name in receiver.go_interface_fields()
                return NIL if value is None else value
        elif isinstance(receiver, dict):
            if has_args:
                self.errorf(f"{name} is not a method but has arguments")
            value = receiver.get(name)
            self.last_iface = element_in_interface(receiver, value)
            return NIL if value is None else value
        type_name = "interface {}" if receiver_iface else go_type_name(receiver)
        self.errorf(f"can't evaluate field {name} in type {type_name}")

    def eval_function(
        self, dot: Any, ident: IdentifierNode, node: Node, args: list[Node] | None, final: Any
    ) -> Any:
        self.node = ident
        function = FUNCTIONS.get(ident.ident)
        if function is None:
            self.errorf(f"{go_quote(ident.ident)} is not a defined function")
        return self.eval_call(dot, function, True, node, ident.ident, args, final)

    def eval_call(
        self,
        dot: Any,
        function: Function,
        is_builtin: bool,
        node: Node | None,
        name: str,
        args: list[Node] | None,
        final: Any,
    ) -> Any:
        arg_nodes = args[1:] if args is not None else []
        count = len(arg_nodes) + (0 if final is MISSING else 1)
        if function.variadic:
            if count < function.fixed:
                self.errorf(
                    f"wrong number of args for {name}: want at least {function.fixed} "
                    f"got {len(arg_nodes)}"
                )
        elif count != function.fixed:
            self.errorf(f"wrong number of args for {name}: want {function.fixed} got {count}")
        if is_builtin and name in ("and", "or"):
            return self._and_or(dot, name == "or", arg_nodes, final)
        argv = [self.eval_arg(dot, n, function.param_type(i)) for i, n in enumerate(arg_nodes)]
        if final is not MISSING:
            argv.append(self.validate(final, function.param_type(len(argv))))
        return self._call(function.call, [None if a is NIL else a for a in argv], node, name)

    def _call(self, call: Callable[..., Any], argv: list[Any], node: Node | None, name: str) -> Any:
        try:
            return call(*argv)
        except (FuncError, ValueError, TypeError, ArithmeticError) as exc:
            self.node = node
            self.errorf(f"error calling {name}: {exc}")

    def _and_or(self, dot: Any, is_or: bool, arg_nodes: list[Node], final: Any) -> Any:
        value = None
        for arg in arg_nodes:
            value = self.eval_arg(dot, arg, "value")
            if is_true(value) == is_or:
                return value
        return value if final is MISSING else final

    def eval_arg(self, dot: Any, node: Node, param_type: str = "any") -> Any:
        """One function argument for a Go parameter of `param_type` ("any", "string", "value")."""
        self.node = node
        if isinstance(node, DotNode):
            value = dot
        elif isinstance(node, NilNode):
            if param_type == "string":
                self.errorf("cannot assign nil to string")
            return None
        elif isinstance(node, FieldNode):
            value = self.eval_field_chain(dot, dot, node.ident, [node], MISSING, self.dot_iface)
        elif isinstance(node, VariableNode):
            value = self.eval_variable(dot, node, None, MISSING)
        elif isinstance(node, PipeNode):
            value = self.eval_pipeline(dot, node)
        elif isinstance(node, IdentifierNode):
            value = self.eval_function(dot, node, node, None, MISSING)
        elif isinstance(node, ChainNode):
            value = self.eval_chain(dot, node, None, MISSING)
        elif param_type == "string":
            if not isinstance(node, StringNode):
                self.errorf(f"expected string; found {node}")
            return node.text
        else:
            return self.literal(dot, node)
        return self.validate(value, param_type)

    def validate(self, value: Any, param_type: str) -> Any:
        if param_type == "string" and not isinstance(value, str):
            if value is None:
                self.errorf("invalid value; expected string")
            self.errorf(f"wrong type for value; expected string; got {go_type_name(value)}")
        return value


def _go_method(receiver: Any, name: str) -> Callable[[], Any] | None:
    """A Go method callable as `.Name`: a struct's own, or String on a type that has one."""
    if isinstance(receiver, GoStruct) and (method := receiver.go_method(name)) is not None:
        return method
    if name == "String":
        go_str = getattr(receiver, "__go_str__", None)
        if callable(go_str):
            return go_str
    return None
