"""The Anthropic Messages API under `/v1/messages`, as Ollama serves it since v0.14: a
translator into the native chat (a model that cannot think is not refused for `thinking`)."""

from __future__ import annotations

from pollama.api.anthropic import dialect, errors
from pollama.api.anthropic.messages import router

__all__ = ["dialect", "errors", "router"]
