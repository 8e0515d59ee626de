"""The state of a `pollama run` session: flags, model facts, and what the REPL has changed."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from pollama.errors import BadRequest
from pollama.go.time import MAX_DURATION_NS, format_go_duration, parse_go_duration_ns

Think = bool | str
THINK_LEVELS = ("high", "medium", "low", "max")


def parse_think_flag(value: str) -> Think:
    """`--think[=true|false|low|medium|high|max]` (bare `--think` arrives as "true")."""
    if value in ("", "true"):
        return True
    if value == "false":
        return False
    if value in THINK_LEVELS:
        return value
    raise BadRequest(
        f'invalid value for --think: "{value}" (must be true, false, high, medium, low, or max)'
    )


def keep_alive_value(text: str) -> str | int:
    """`--keepalive` (a Go duration) as the Go client sends it: the duration string, -1 if < 0."""
    ns = parse_go_duration_ns(text)
    if ns < 0:
        return -1
    return format_go_duration(min(ns, MAX_DURATION_NS))


@dataclass
class RunOptions:
    model: str
    parent_model: str = ""
    prompt: str = ""
    messages: list[dict[str, Any]] = field(default_factory=list)
    wordwrap: bool = True
    format: str = ""
    system: str = ""
    options: dict[str, Any] = field(default_factory=dict)
    multimodal: bool = False
    keep_alive: str | int | None = None
    think: Think | None = None
    think_explicit: bool = False  # set by --think or /set think|nothink: never inferred again
    hide_thinking: bool = False
    verbose: bool = False
    # The model's own SYSTEM, PARAMETERs and MESSAGEs (from `/api/show`), which `/save` carries.
    model_system: str = ""
    model_parameters: dict[str, Any] = field(default_factory=dict)
    loaded_messages: list[dict[str, Any]] = field(default_factory=list)

    def copy(self) -> RunOptions:
        return copy.deepcopy(self)

    def request_fields(self) -> dict[str, Any]:
        """The fields every generate/chat request of this session carries when set."""
        fields: dict[str, Any] = {"model": self.model}
        if self.format:
            fields["format"] = self.format
        if self.options:
            fields["options"] = dict(self.options)
        if self.keep_alive is not None:
            fields["keep_alive"] = self.keep_alive
        if self.think is not None:
            fields["think"] = self.think
        return fields


def infer_think(capabilities: list[str], opts: RunOptions) -> Think | None:
    """Without an explicit choice, think exactly when the model can (its capabilities
    list `thinking`), as Ollama's `run` does."""
    if opts.think_explicit:
        return opts.think
    return True if "thinking" in capabilities else None
