"""A request's options with Ollama's defaults applied (pure; no llama.cpp here)."""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

PREDICT_LIMIT_FACTOR = 10  # num_predict is capped at 10 x num_ctx, as Ollama does


@dataclass(frozen=True)
class RequestOptions:
    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.9
    min_p: float = 0.0
    typical_p: float = 1.0
    repeat_penalty: float = 1.0
    repeat_last_n: int = 64
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    seed: int = -1
    num_predict: int = -1
    num_keep: int = 4
    stop: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, options: dict[str, Any]) -> RequestOptions:
        """Take the known keys that are set; ignore the rest (load-time options etc.)."""
        known = {f.name: f for f in fields(cls)}
        values: dict[str, Any] = {}
        for key, value in options.items():
            if key not in known or value is None:
                continue
            if key == "stop":
                values[key] = tuple(str(s) for s in value)
            elif known[key].type == "int":
                values[key] = int(value)
            else:
                values[key] = float(value)
        return cls(**values)

    @property
    def greedy(self) -> bool:
        return self.temperature <= 0

    @property
    def penalties_active(self) -> bool:
        return self.repeat_last_n != 0 and (
            self.repeat_penalty != 1.0
            or self.presence_penalty != 0.0
            or self.frequency_penalty != 0.0
        )

    def penalty_window(self, num_ctx: int) -> int:
        return num_ctx if self.repeat_last_n < 0 else self.repeat_last_n

    def max_new_tokens(self, num_ctx: int) -> int:
        """num_predict < 0 (unbounded) or above 10 x num_ctx is clamped to 10 x num_ctx."""
        cap = PREDICT_LIMIT_FACTOR * num_ctx
        return cap if self.num_predict < 0 or self.num_predict > cap else self.num_predict
