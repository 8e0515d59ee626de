"""The `/v1` request bodies as OpenAI clients send them. Unknown fields are ignored;
wrongly-typed ones are a 400 naming the field. Fields that take several JSON shapes are `Any` and
checked where they are translated."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class OpenAIRequest(BaseModel):
    model_config = ConfigDict(extra="ignore", strict=True)


class StreamOptions(OpenAIRequest):
    include_usage: bool = False


class FunctionCall(OpenAIRequest):
    name: str = ""
    arguments: Any = None  # a JSON string (an object is tolerated)


class ToolCall(OpenAIRequest):
    id: str | None = None
    type: str | None = None
    index: int | None = None
    function: FunctionCall


class ChatMessage(OpenAIRequest):
    role: str
    content: Any = None  # a string, an array of parts, or null next to tool_calls
    name: str | None = None
    reasoning: str | None = None
    tool_calls: list[ToolCall] | None = None
    tool_call_id: str | None = None


class SamplingFields(OpenAIRequest):
    """What chat and completions share: the model, streaming, sampling and pollama's extras."""

    model: str = ""
    stream: bool | None = None
    stream_options: StreamOptions | None = None
    max_tokens: int | None = None
    temperature: float | None = None
    top_p: float | None = None
    seed: int | None = None
    frequency_penalty: float | None = None
    presence_penalty: float | None = None
    stop: Any = None
    num_ctx: int | None = None  # extra body field → options.num_ctx
    keep_alive: Any = None  # extra body field, as on the native API

    @property
    def include_usage(self) -> bool:
        return self.stream_options is not None and self.stream_options.include_usage


class ChatCompletionRequest(SamplingFields):
    messages: list[ChatMessage] | None = None
    max_completion_tokens: int | None = None
    response_format: dict[str, Any] | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    reasoning_effort: str | None = None
    reasoning: dict[str, Any] | None = None
    logprobs: bool | None = None
    top_logprobs: int | None = None


class CompletionRequest(SamplingFields):
    prompt: str = ""
    suffix: str = ""
    echo: bool = False
    logprobs: int | None = None


class EmbeddingRequest(OpenAIRequest):
    model: str = ""
    input: Any = None
    dimensions: int | None = None
    encoding_format: str | None = None
    keep_alive: Any = None


class ResponsesRequest(SamplingFields):
    """`POST /v1/responses`: stateless, so `previous_response_id`, `conversation` and
    `background` are refused where they are set."""

    input: Any = None  # a string, or an array of input items
    instructions: str | None = None
    max_output_tokens: int | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Any = None
    text: dict[str, Any] | None = None
    reasoning: dict[str, Any] | None = None
    include: list[str] | None = None
    top_logprobs: int | None = None
    truncation: str | None = None
    metadata: dict[str, Any] | None = None
    parallel_tool_calls: bool | None = None
    previous_response_id: str | None = None
    conversation: Any = None
    background: bool | None = None
