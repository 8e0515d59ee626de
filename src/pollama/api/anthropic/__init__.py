"""The Anthropic Messages API (§3.5) under `/v1/messages`: a translator into the native chat."""

from __future__ import annotations

from pollama.api.anthropic import dialect, errors
from pollama.api.anthropic.messages import router

__all__ = ["dialect", "errors", "router"]
