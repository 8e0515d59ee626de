"""Ollama's template execution: collation and the three modes (template.Template.Execute).

- Suffix (fill-in-the-middle) mode: `{Prompt, Suffix, Response: ""}`, executed once.
- Messages mode (the template mentions `.Messages`): `{System, Messages, Tools, Response: ""}`,
  executed once.
- Legacy mode: the template runs once per turn with `{System, Prompt, Response}`; the last turn
  runs a copy of the template cut right after its first `.Response`, so the prompt ends where
  the model's answer starts.

All modes also get `Think`, `ThinkLevel` and `IsThinkSet`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pollama.templates.nodes import ActionNode, BranchNode, FieldNode, ListNode, Node, PipeNode
from pollama.templates.template import Template, parse
from pollama.templates.values import Message, message_from_api, tools_from_api


def collate(messages: list[Message]) -> tuple[str, list[Message]]:
    """Merge consecutive same-role messages (never tool ones); join system contents.

    A merged message keeps the first message's other fields, as Ollama's does.
    """
    system = [m.Content for m in messages if m.Role == "system"]
    collated: list[Message] = []
    for message in messages:
        previous = collated[-1] if collated else None
        if previous is not None and previous.Role == message.Role and message.Role != "tool":
            collated[-1] = replace(previous, Content=previous.Content + "\n\n" + message.Content)
        else:
            collated.append(message)
    return "\n\n".join(system), collated


def _think_values(think: bool | str | None, think_level: str | None) -> dict[str, Any]:
    if isinstance(think, str):  # a level given as `think` itself
        think_level, think = think_level or think, True
    return {
        "Think": bool(think),
        "ThinkLevel": think_level or "",
        "IsThinkSet": think is not None,
    }


class _ResponseCut:
    """Ollama's deleteNode: keep everything up to and including the first `.Response` field."""

    def __init__(self) -> None:
        self.cut = False

    def visit(self, node: Node) -> Node | None:
        if isinstance(node, FieldNode) and "Response" in node.ident:
            self.cut = True
            return node
        if self.cut:
            return None
        if isinstance(node, ListNode):
            kept = [child for child in map(self.visit, node.nodes) if child is not None]
            return ListNode(node.pos, kept)
        if isinstance(node, BranchNode):  # the condition is not searched, only the bodies
            # (Once the cut happened in the body, Ollama's copy would panic on the else body;
            # dropping it is what the cut means.)
            body = self.visit(node.body)
            else_body = self.visit(node.else_body) if node.else_body is not None else None
            assert isinstance(body, ListNode)
            assert else_body is None or isinstance(else_body, ListNode)
            return replace(node, body=body, else_body=else_body)
        if isinstance(node, ActionNode):
            pipe = self.visit(node.pipe)
            return replace(node, pipe=pipe) if isinstance(pipe, PipeNode) else None
        if isinstance(node, PipeNode):
            return self._visit_pipe(node)
        return node

    def _visit_pipe(self, pipe: PipeNode) -> PipeNode | None:
        commands = []
        for cmd in pipe.cmds:
            args = [arg for arg in map(self.visit, cmd.args) if arg is not None]
            if not args:
                return None  # Ollama drops the whole pipeline once a command is emptied
            commands.append(replace(cmd, args=args))
        return replace(pipe, cmds=commands) if commands else None


def cut_after_response(root: ListNode) -> ListNode:
    """A copy of `root` without the nodes after the first `.Response` field."""
    result = _ResponseCut().visit(root)
    assert isinstance(result, ListNode)
    return result


def _legacy(template: Template, messages: list[Message], think: dict[str, Any]) -> str:
    root = template.ollama_root
    parts: list[str] = []
    turn = {"System": "", "Prompt": "", "Response": ""}

    def execute() -> None:
        parts.append(template.execute({**turn, **think}, root))
        turn.update(System="", Prompt="", Response="")

    for message in messages:
        if message.Role == "system":
            if turn["Prompt"] or turn["Response"]:
                execute()
            turn["System"] = message.Content
        elif message.Role == "user":
            if turn["Response"]:
                execute()
            turn["Prompt"] = message.Content
        elif message.Role == "assistant":
            turn["Response"] = message.Content
    parts.append(template.execute({**turn, **think}, cut_after_response(root)))
    return "".join(parts)


def render(
    template: str,
    messages: list[dict[str, Any]],
    *,
    tools: list[dict[str, Any]] | None = None,
    think: bool | None = None,
    think_level: str | None = None,
) -> str:
    """The prompt Ollama builds from `template` for a chat (messages in Ollama's API shape)."""
    parsed = parse(template)
    system, collated = collate([message_from_api(m) for m in messages])
    think_values = _think_values(think, think_level)
    if parsed.is_messages_style:
        data = {
            "System": system,
            "Messages": collated,
            "Tools": tools_from_api(tools),
            "Response": "",
            **think_values,
        }
        return parsed.execute(data, parsed.ollama_root)
    return _legacy(parsed, collated, think_values)


def render_suffix(
    template: str,
    prompt: str,
    suffix: str,
    *,
    think: bool | None = None,
    think_level: str | None = None,
) -> str:
    """Fill-in-the-middle: `.Prompt` and `.Suffix` (used when both are non-empty)."""
    if not (prompt and suffix):
        messages = [{"role": "user", "content": prompt}] if prompt else []
        return render(template, messages, think=think, think_level=think_level)
    parsed = parse(template)
    data = {"Prompt": prompt, "Suffix": suffix, "Response": "", **_think_values(think, think_level)}
    return parsed.execute(data, parsed.ollama_root)
