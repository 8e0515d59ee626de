"""Pydantic request models. Unknown fields are ignored (as Ollama); wrong types are a 400 that
names the field. Fields that take several JSON types are `Any` and checked where they are used."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

# Go's int: a JSON number outside int64 is a decoding error (400), never passed on.
GoInt = Annotated[int, Field(ge=-(2**63), le=2**63 - 1)]


class Request(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True, populate_by_name=True)


class ToolCallFunction(Request):
    index: GoInt | None = None
    name: str = ""
    arguments: dict[str, Any] = Field(default_factory=dict)


class ToolCall(Request):
    id: str | None = None
    function: ToolCallFunction


class Message(Request):
    role: str
    content: str = ""
    thinking: str | None = None
    images: list[str] | None = None
    tool_calls: list[ToolCall] | None = None
    tool_name: str | None = None
    tool_call_id: str | None = None

    def as_dict(self) -> dict[str, Any]:
        """The message in Ollama's API shape, role lower-cased, empty fields dropped."""
        out = self.model_dump(exclude_none=True)
        out["role"] = self.role.lower()
        out["content"] = self.content
        return out


class CreateRequest(Request):
    model: str = ""
    name: str = ""
    from_: str | None = Field(default=None, alias="from")
    files: dict[str, str] | None = None
    adapters: dict[str, str] | None = None
    draft_files: dict[str, str] | None = None  # a DRAFT model, for speculative decoding
    template: str | None = None
    system: str | None = None
    license: str | list[str] | None = None
    parameters: dict[str, Any] | None = None
    messages: list[Message] | None = None
    quantize: str | None = None
    requires: str | None = None
    stream: bool | None = None


class ShowRequest(Request):
    model: str = ""
    name: str = ""
    verbose: bool = False
    system: str | None = None
    template: str | None = None
    options: dict[str, Any] | None = None


class CopyRequest(Request):
    source: str = ""
    destination: str = ""


class DeleteRequest(Request):
    model: str = ""
    name: str = ""


class InferenceRequest(Request):
    """The fields `/api/generate` and `/api/chat` share."""

    model: str = ""
    stream: bool | None = None
    format: Any = None
    keep_alive: Any = None
    options: dict[str, Any] | None = None
    think: Any = None
    truncate: bool | None = None
    shift: bool | None = None
    logprobs: bool = False
    top_logprobs: GoInt = 0
    debug_render_only: bool = Field(default=False, alias="_debug_render_only")


class GenerateRequest(InferenceRequest):
    prompt: str = ""
    suffix: str = ""
    system: str | None = None
    template: str | None = None
    context: list[GoInt] | None = None
    raw: bool = False
    images: list[str] | None = None


class ChatRequest(InferenceRequest):
    messages: list[Message] = Field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None  # pollama's addition: "auto", "none", "required" or a function


class EmbedRequest(Request):
    model: str = ""
    input: Any = None
    truncate: bool | None = None
    dimensions: GoInt | None = None
    keep_alive: Any = None
    options: dict[str, Any] | None = None


class EmbeddingsRequest(Request):
    model: str = ""
    prompt: str = ""
    keep_alive: Any = None
    options: dict[str, Any] | None = None
