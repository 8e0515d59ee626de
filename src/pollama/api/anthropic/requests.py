"""The Anthropic Messages request bodies as the `anthropic` SDK sends them. Unknown fields
are ignored; wrongly-typed ones are a 400 naming the field. Content, which takes several shapes,
is checked where it is translated."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class AnthropicRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class MessageParam(AnthropicRequest):
    role: str
    content: Any = None  # a string, or an array of content blocks


class PromptFields(AnthropicRequest):
    """What a message and a token count share: everything that makes the prompt."""

    model: str = ""
    messages: list[MessageParam] | None = None
    system: Any = None  # a string, or an array of text blocks
    tools: list[dict[str, Any]] | None = None
    tool_choice: dict[str, Any] | None = None
    thinking: dict[str, Any] | None = None
    output_config: dict[str, Any] | None = None


class MessagesRequest(PromptFields):
    max_tokens: int | None = None
    stream: bool | None = None
    temperature: float | None = None
    top_p: float | None = None
    top_k: int | None = None
    stop_sequences: list[str] | None = None
    output_format: dict[str, Any] | None = None
    keep_alive: Any = None  # pollama's extra, as on the native API
    num_ctx: int | None = None  # pollama's extra → options.num_ctx
