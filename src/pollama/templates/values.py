"""The data Ollama hands its templates: messages, tool calls and tools as Go values.

Each class mirrors the Go type the template sees (Ollama's template.templateMessage,
templateTool, api.ToolProperty, ...): the same field names, the same truthiness, the same
printing (`{{ .Tools }}` and `{{ .Function.Arguments }}` print compact JSON) and the same JSON
encoding for the `json` function. `message_from_api` and `tools_from_api` build them from the
dicts of Ollama's HTTP API.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from pollama.templates.gojson import JSONObject, UnsupportedValue, marshal
from pollama.templates.gotypes import GoStruct


def _json_or_empty(value: Any) -> str:
    try:
        return marshal(value)
    except UnsupportedValue:
        return ""  # Ollama ignores json.Marshal errors


def _go_any(value: Any) -> Any:
    """A JSON value as Go decodes it into `any`: every number becomes a float64."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {str(k): _go_any(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_go_any(v) for v in value]
    return value


class GoBytes(bytes):
    """api.ImageData ([]byte): prints as a byte list, encodes as base64."""

    go_type = "api.ImageData"


class ArgumentMap(dict[str, Any]):
    """A tool call's arguments (template.templateArgs): prints as JSON, `{}` when nil."""

    go_type = "template.templateArgs"

    def __init__(self, items: Iterable[tuple[str, Any]] = (), *, nil: bool = False) -> None:
        super().__init__(items)
        self.nil = nil

    def __go_str__(self) -> str:
        return "{}" if self.nil else _json_or_empty(self)

    def __go_json__(self) -> Any:
        return None if self.nil else dict(self)


class PropertyType(list[str]):
    """api.PropertyType: one JSON-schema type name or a union of them."""

    go_type = "api.PropertyType"
    go_concrete = True  # []string

    def __go_str__(self) -> str:
        if not self:
            return ""
        return self[0] if len(self) == 1 else "[" + " ".join(self) + "]"

    def __go_json__(self) -> Any:
        return self[0] if len(self) == 1 else list(self)


class PropertyMap(dict[str, "ToolProperty"]):
    """Properties by name (template.templateProperties): prints as JSON, `{}` when nil."""

    go_type = "template.templateProperties"

    def __init__(self, items: Iterable[tuple[str, ToolProperty]] = (), *, nil: bool = False):
        super().__init__(items)
        self.nil = nil

    def __go_str__(self) -> str:
        return "{}" if self.nil else _json_or_empty(self)

    def __go_json__(self) -> Any:
        return None if self.nil else dict(self)


_TS_TYPES = {
    "string": "string",
    "number": "number",
    "integer": "number",
    "boolean": "boolean",
    "array": "any[]",
    "object": "Record<string, any>",
    "null": "null",
}


@dataclass(eq=False)
class ToolProperty(GoStruct):
    go_type = "api.ToolProperty"

    AnyOf: list[ToolProperty] = field(default_factory=list)
    Type: PropertyType = field(default_factory=PropertyType)
    Items: Any = None
    Description: str = ""
    Enum: list[Any] = field(default_factory=list)
    Properties: PropertyMap | None = None
    Required: list[str] = field(default_factory=list)

    def to_typescript_type(self) -> str:
        """api.ToolProperty.ToTypeScriptType."""
        if self.AnyOf:
            return " | ".join(p.to_typescript_type() for p in self.AnyOf)
        if not self.Type:
            return "any"
        return " | ".join(_TS_TYPES.get(t, "any") for t in self.Type)

    def go_method(self, name: str) -> Callable[[], Any] | None:
        return self.to_typescript_type if name == "ToTypeScriptType" else None

    def __go_json__(self) -> Any:
        out = JSONObject()
        if self.AnyOf:
            out["anyOf"] = self.AnyOf
        if self.Type:
            out["type"] = self.Type
        if self.Items is not None:
            out["items"] = self.Items
        if self.Description:
            out["description"] = self.Description
        if self.Enum:
            out["enum"] = self.Enum
        if self.Properties is not None:
            out["properties"] = dict(self.Properties)
        if self.Required:
            out["required"] = self.Required
        return out


@dataclass(eq=False)
class ToolFunctionParameters(GoStruct):
    go_type = "template.templateToolFunctionParameters"

    Type: str = ""
    Defs: Any = None
    Items: Any = None
    Required: list[str] = field(default_factory=list)
    Properties: PropertyMap = field(default_factory=lambda: PropertyMap(nil=True))

    def __go_str__(self) -> str:
        return _json_or_empty(self)

    def __go_json__(self) -> Any:
        out = JSONObject(type=self.Type)
        if self.Defs is not None:
            out["$defs"] = self.Defs
        if self.Items is not None:
            out["items"] = self.Items
        if self.Required:
            out["required"] = self.Required
        out["properties"] = self.Properties
        return out


@dataclass(eq=False)
class ToolFunction(GoStruct):
    go_type = "template.templateToolFunction"

    Name: str = ""
    Description: str = ""
    Parameters: ToolFunctionParameters = field(default_factory=ToolFunctionParameters)

    def __go_str__(self) -> str:
        return _json_or_empty(self)

    def __go_json__(self) -> Any:
        return JSONObject(name=self.Name, description=self.Description, parameters=self.Parameters)


@dataclass(eq=False)
class Tool(GoStruct):
    go_type = "template.templateTool"

    Type: str = ""
    Items: Any = None
    Function: ToolFunction = field(default_factory=ToolFunction)

    def __go_str__(self) -> str:
        return _json_or_empty(self)

    def __go_json__(self) -> Any:
        out = JSONObject(type=self.Type)
        if self.Items is not None:
            out["items"] = self.Items
        out["function"] = self.Function
        return out


class ToolList(list[Tool]):
    """The request's tools (template.templateTools): prints as a JSON array, `null` when nil."""

    go_type = "template.templateTools"

    def __init__(self, items: Iterable[Tool] = (), *, nil: bool = False) -> None:
        super().__init__(items)
        self.nil = nil

    def __go_str__(self) -> str:
        return _json_or_empty(self)

    def __go_json__(self) -> Any:
        return None if self.nil else list(self)


@dataclass(eq=False)
class ToolCallFunction(GoStruct):
    go_type = "template.templateToolCallFunction"

    Index: int = 0
    Name: str = ""
    Arguments: ArgumentMap = field(default_factory=lambda: ArgumentMap(nil=True))

    def __go_json__(self) -> Any:
        arguments = {} if self.Arguments.nil else dict(self.Arguments)
        return JSONObject(index=self.Index, name=self.Name, arguments=arguments)


@dataclass(eq=False)
class ToolCall(GoStruct):
    go_type = "template.templateToolCall"

    ID: str = ""
    Function: ToolCallFunction = field(default_factory=ToolCallFunction)

    def __go_json__(self) -> Any:
        out = JSONObject()
        if self.ID:
            out["id"] = self.ID
        out["function"] = self.Function
        return out


@dataclass(eq=False)
class Message(GoStruct):
    go_type = "*template.templateMessage"
    go_pointer = True

    Role: str = ""
    Content: str = ""
    Thinking: str = ""
    Images: list[GoBytes] = field(default_factory=list)
    ToolCalls: list[ToolCall] = field(default_factory=list)
    ToolName: str = ""
    ToolCallID: str = ""

    def __go_json__(self) -> Any:
        out = JSONObject(role=self.Role, content=self.Content)
        optional = {
            "thinking": self.Thinking,
            "images": self.Images,
            "tool_calls": self.ToolCalls,
            "tool_name": self.ToolName,
            "tool_call_id": self.ToolCallID,
        }
        out.update((key, value) for key, value in optional.items() if value)
        return out


# --- from Ollama's API dicts ----------------------------------------------------------------


def _image(value: Any) -> GoBytes:
    if isinstance(value, (bytes, bytearray)):
        return GoBytes(value)
    try:
        return GoBytes(base64.b64decode(str(value), validate=True))
    except (binascii.Error, ValueError):
        return GoBytes(str(value).encode())


def _arguments(value: Any) -> ArgumentMap:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return ArgumentMap(nil=True)
    if not isinstance(value, dict):
        return ArgumentMap(nil=True)
    return ArgumentMap((str(k), _go_any(v)) for k, v in value.items())


def _as_dict(value: Any) -> dict[str, Any]:
    """An API object as a dict; pydantic models (ours or the ollama client's) are dumped."""
    if isinstance(value, dict):
        return value
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dict(dump(exclude_none=True, by_alias=True))
    return {}


def tool_call_from_api(call: dict[str, Any]) -> ToolCall:
    call = _as_dict(call)
    function = _as_dict(call.get("function"))
    return ToolCall(
        ID=str(call.get("id") or ""),
        Function=ToolCallFunction(
            Index=int(function.get("index") or 0),
            Name=str(function.get("name") or ""),
            Arguments=_arguments(function.get("arguments")),
        ),
    )


def message_from_api(message: dict[str, Any]) -> Message:
    """A Message from an Ollama API message dict (role lower-cased, as Ollama does)."""
    message = _as_dict(message)
    return Message(
        Role=str(message.get("role") or "").lower(),
        Content=str(message.get("content") or ""),
        Thinking=str(message.get("thinking") or ""),
        Images=[_image(image) for image in message.get("images") or []],
        ToolCalls=[tool_call_from_api(call) for call in message.get("tool_calls") or []],
        ToolName=str(message.get("tool_name") or ""),
        ToolCallID=str(message.get("tool_call_id") or ""),
    )


def _strings(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return []


def _property_map(value: Any) -> PropertyMap:
    if not isinstance(value, dict):
        return PropertyMap(nil=True)
    return PropertyMap((str(k), property_from_api(v)) for k, v in value.items())


def property_from_api(prop: Any) -> ToolProperty:
    """A JSON-schema property; keys Ollama does not model (e.g. `default`) are dropped."""
    prop = _as_dict(prop)
    kind = prop.get("type")
    types = [kind] if isinstance(kind, str) else _strings(kind)
    nested = prop.get("properties")
    return ToolProperty(
        AnyOf=[property_from_api(p) for p in prop.get("anyOf") or []],
        Type=PropertyType(types),
        Items=_go_any(prop.get("items")),
        Description=str(prop.get("description") or ""),
        Enum=[_go_any(v) for v in prop.get("enum") or []],
        Properties=_property_map(nested) if isinstance(nested, dict) else None,
        Required=_strings(prop.get("required")),
    )


def tool_from_api(tool: dict[str, Any]) -> Tool:
    tool = _as_dict(tool)
    function = _as_dict(tool.get("function"))
    params = _as_dict(function.get("parameters"))
    return Tool(
        Type=str(tool.get("type") or ""),
        Items=_go_any(tool.get("items")),
        Function=ToolFunction(
            Name=str(function.get("name") or ""),
            Description=str(function.get("description") or ""),
            Parameters=ToolFunctionParameters(
                Type=str(params.get("type") or ""),
                Defs=_go_any(params.get("$defs")),
                Items=_go_any(params.get("items")),
                Required=_strings(params.get("required")),
                Properties=_property_map(params.get("properties")),
            ),
        ),
    )


def tools_from_api(tools: list[dict[str, Any]] | None) -> ToolList:
    if tools is None:
        return ToolList(nil=True)
    return ToolList(tool_from_api(tool) for tool in tools)
