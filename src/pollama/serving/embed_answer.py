"""`/api/embed`'s answer as a typed object, and its exact JSON (Ollama's api/types.go,
EmbedResponse). `/v1/embeddings` reads the attributes; only the edge calls `to_json`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class EmbedMetrics:
    """Sent whole, zeros included (Ollama leaves none of them out of a computed answer)."""

    total_duration: int
    load_duration: int
    prompt_eval_count: int


@dataclass(frozen=True)
class EmbedAnswer:
    model: str  # echoed verbatim
    embeddings: list[list[float]] = field(default_factory=list)
    metrics: EmbedMetrics | None = None  # None: nothing was embedded, and no metrics are sent

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"model": self.model, "embeddings": self.embeddings}
        if self.metrics is not None:
            out["total_duration"] = self.metrics.total_duration
            out["load_duration"] = self.metrics.load_duration
            out["prompt_eval_count"] = self.metrics.prompt_eval_count
        return out
