"""The `think` request field (`true`/`false` or a level): validation and the template flags it
sets."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pollama.errors import BadRequest
from pollama.serving.resolve import Resolved

LEVELS = ("low", "medium", "high", "max")


@dataclass(frozen=True)
class ThinkSetting:
    enabled: bool | None  # None: not set (the template sees IsThinkSet false)
    level: str | None = None

    def render_args(self) -> dict[str, Any]:
        return {"think": self.enabled, "think_level": self.level}


def think_setting(resolved: Resolved, raw: Any, model: str) -> ThinkSetting:
    capable = "thinking" in resolved.capabilities
    if raw is None:
        return ThinkSetting(True) if capable else ThinkSetting(None)
    if isinstance(raw, bool):
        setting = ThinkSetting(raw)
    elif isinstance(raw, str) and raw in LEVELS:
        setting = ThinkSetting(True, raw)
    else:
        shown = f'"{raw}"' if isinstance(raw, str) else str(raw)
        raise BadRequest(
            f'invalid think value: {shown} (must be "high", "medium", "low", "max", true, or false)'
        )
    if setting.enabled and not capable:
        raise BadRequest(f'"{model}" does not support thinking')
    return setting
