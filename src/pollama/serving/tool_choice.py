"""`tool_choice` (pollama's addition on /api/chat, and OpenAI's on /v1): "auto" leaves the model
free; "required" or a named function forces a call with a grammar: the template's tool-call tag,
then a JSON object `{"name": ..., "arguments": {...}}` matching one tool's parameters."""

from __future__ import annotations

from typing import Any

from pollama.errors import BadRequest
from pollama.serving.formats import schema_grammar, without_unsupported
from pollama.serving.grammar_rules import literal, rename_root
from pollama.serving.output import tool_names


def forced_tool(tool_choice: Any, tools: list[dict[str, Any]] | None) -> list[str] | None:
    """The tools one of which must be called, or None when the model may answer freely."""
    if tool_choice is None or tool_choice in ("auto", "none"):
        return None
    names = tool_names(tools)
    if tool_choice == "required":
        if not names:
            raise BadRequest('tool_choice "required" needs at least one tool')
        return names
    if isinstance(tool_choice, dict):
        function = tool_choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if isinstance(name, str) and name:
            if name not in names:
                raise BadRequest(f'tool_choice names "{name}", which is not among the tools')
            return [name]
    raise BadRequest(
        'invalid tool_choice: expected "none", "auto", "required" or '
        '{"type": "function", "function": {"name": ...}}'
    )


def _call_schema(tool: dict[str, Any]) -> dict[str, Any]:
    function = tool["function"]
    parameters = function.get("parameters") or {"type": "object"}
    return {
        "type": "object",
        "properties": {
            "name": {"const": function["name"]},
            "arguments": without_unsupported(parameters),
        },
        "required": ["name", "arguments"],
    }


def call_grammar(tools: list[dict[str, Any]], names: list[str], tag: str) -> str:
    """GBNF for the tag followed by one call to one of `names`."""
    chosen = [t for t in tools if t.get("function", {}).get("name") in names]
    schemas = [_call_schema(t) for t in chosen]
    schema = schemas[0] if len(schemas) == 1 else {"anyOf": schemas}
    renamed = rename_root(schema_grammar(schema), "call")
    if tag == "{":
        head = "root ::= call"
    elif tag == "[":
        head = 'root ::= "[" call "]"'
    else:
        head = f'root ::= {literal(tag)} ("\\n" | " ")? call'
    return "\n".join([head, *renamed])
