"""The `format` request field: `"json"` or a JSON schema, turned into a GBNF grammar that the
runner's sampler enforces, so the output always parses and matches the schema.

The schema-to-grammar step is llama-cpp-python's maintained converter (`llama_grammar.py`, pure
Python). It is loaded from its file so the server process never loads llama.cpp's shared library
(DESIGN: only runners do). Keywords the converter would silently ignore are refused with a 400 that
names them: accepting them would let output through that does not match the schema.
"""

from __future__ import annotations

import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any

from pollama.errors import BadRequest

# Constraints the grammar cannot enforce. Unknown keywords are annotations (JSON Schema ignores
# them), so only these are refused.
UNSUPPORTED_KEYWORDS = frozenset(
    {
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "uniqueItems",
        "contains",
        "minContains",
        "maxContains",
        "patternProperties",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "dependentRequired",
        "dependentSchemas",
        "dependencies",
        "if",
        "then",
        "else",
        "not",
        "unevaluatedProperties",
        "unevaluatedItems",
    }
)
_SCHEMA_MAPS = ("properties", "$defs", "definitions")
_SCHEMA_LISTS = ("anyOf", "oneOf", "allOf", "prefixItems")
_SCHEMA_VALUES = ("items", "additionalProperties")


@dataclass(frozen=True)
class OutputFormat:
    """A decoded `format`: the schema it stands for and the grammar that enforces it."""

    schema: dict[str, Any]
    grammar: str


def _invalid(raw: Any) -> BadRequest:
    shown = json.dumps(raw, separators=(",", ":"))
    return BadRequest(f'invalid format: {shown}; expected "json" or a valid JSON Schema object')


def unsupported_keywords(schema: Any, path: str = "#") -> list[str]:
    """Every keyword the grammar cannot enforce, as `keyword at <json pointer>`."""
    found: list[str] = []
    if not isinstance(schema, dict):
        return found
    for key in schema:
        if key in UNSUPPORTED_KEYWORDS:
            found.append(f"{key} at {path}")
    for key in _SCHEMA_MAPS:
        children = schema.get(key)
        if isinstance(children, dict):
            for name, child in children.items():
                found += unsupported_keywords(child, f"{path}/{key}/{name}")
    for key in _SCHEMA_LISTS:
        children = schema.get(key)
        if isinstance(children, list):
            for i, child in enumerate(children):
                found += unsupported_keywords(child, f"{path}/{key}/{i}")
    for key in _SCHEMA_VALUES:
        child = schema.get(key)
        if isinstance(child, dict):
            found += unsupported_keywords(child, f"{path}/{key}")
        elif isinstance(child, list):  # draft-4 tuple form of items
            for i, item in enumerate(child):
                found += unsupported_keywords(item, f"{path}/{key}/{i}")
    return found


@cache
def _converter() -> ModuleType:
    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        raise BadRequest("structured outputs need llama-cpp-python, which is not installed")
    location = f"{next(iter(spec.submodule_search_locations))}/llama_grammar.py"
    file_spec = importlib.util.spec_from_file_location("pollama_llama_grammar", location)
    if file_spec is None or file_spec.loader is None:
        raise BadRequest("structured outputs: llama-cpp-python's grammar converter is missing")
    module = importlib.util.module_from_spec(file_spec)
    file_spec.loader.exec_module(module)
    return module


def schema_grammar(schema: dict[str, Any]) -> str:
    """GBNF for `schema`; a 400 for what the grammar cannot enforce or cannot read."""
    refused = unsupported_keywords(schema)
    if refused:
        raise BadRequest(
            "format: JSON schema keywords not supported by structured outputs: "
            + ", ".join(refused)
        )
    try:
        grammar: str = _converter().json_schema_to_gbnf(json.dumps(schema))
    except (AssertionError, ValueError, KeyError, TypeError, RecursionError) as exc:
        raise BadRequest(f"format: invalid JSON schema: {exc or type(exc).__name__}") from None
    return grammar


def decode_format(raw: Any) -> OutputFormat | None:
    """`format` as sent: absent/`""`/null is none; `"json"` is any JSON object; an object is a
    schema. Anything else is a 400 worded as Ollama's error."""
    if raw is None or raw == "":
        return None
    if raw == "json":
        schema: dict[str, Any] = {"type": "object"}
    elif isinstance(raw, dict):
        schema = raw
    else:
        raise _invalid(raw)
    return OutputFormat(schema=schema, grammar=schema_grammar(schema))


def without_unsupported(schema: Any) -> Any:
    """`schema` with the keywords the grammar cannot enforce removed (tool parameters: Ollama
    drops such fields when it decodes a tool, so they never reach the model either)."""
    if isinstance(schema, list):
        return [without_unsupported(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in UNSUPPORTED_KEYWORDS:
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: without_unsupported(child) for name, child in value.items()}
        elif key in _SCHEMA_LISTS or key in _SCHEMA_VALUES:
            out[key] = without_unsupported(value)
        else:
            out[key] = value
    return out
