"""Tools declared flat (`{type, name, description, <schema>}`), as the Responses and Anthropic
APIs declare them, turned into native ones, which nest a `function`; and native call arguments
as the JSON string the OpenAI-style APIs carry."""

from __future__ import annotations

import json
from typing import Any

from pollama.errors import BadRequest


def nested_tools(
    tools: list[dict[str, Any]] | None, *, kinds: tuple[str | None, ...], schema_key: str
) -> list[dict[str, Any]] | None:
    """Each tool of one of `kinds` becomes a native function tool, its schema under
    `schema_key` becoming its `parameters`; any other kind (a hosted tool) is a 400."""
    if tools is None:
        return None
    out = []
    for index, tool in enumerate(tools):
        kind = tool.get("type")
        if kind not in kinds:
            allowed = " or ".join(repr(k) for k in kinds if k is not None)
            raise BadRequest(f"tools[{index}]: tool type {kind!r} is not supported, only {allowed}")
        name = tool.get("name")
        if not isinstance(name, str) or not name:
            raise BadRequest(f"tools[{index}]: a tool needs a 'name'")
        function: dict[str, Any] = {"name": name}
        if tool.get("description") is not None:
            function["description"] = tool["description"]
        if tool.get(schema_key) is not None:
            function["parameters"] = tool[schema_key]
        out.append({"type": "function", "function": function})
    return out


def arguments_json(arguments: Any) -> str:
    """Native tool-call arguments (an object) as the JSON string OpenAI carries."""
    return json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
