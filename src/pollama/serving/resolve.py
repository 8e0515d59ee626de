"""From a request's model string to a stored model, its capabilities and a scheduler ModelRef."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from pollama.errors import BadRequest, NotFound
from pollama.models import views
from pollama.names import Name
from pollama.scheduler import ModelRef
from pollama.store import Model, Store


@dataclass
class Resolved:
    requested: str  # the request's model string, echoed verbatim in responses
    model: Model

    @cached_property
    def capabilities(self) -> list[str]:
        return views.capabilities(self.model)

    @cached_property
    def ref(self) -> ModelRef:
        info = views.gguf_info(self.model)
        path = self.model.model_path
        if path is None:
            raise BadRequest(f"{self.requested} has no model weights")
        return ModelRef(
            name=self.model.name.display_shortest,
            digest=self.model.stored.digest,
            details=views.details(self.model),
            model_path=path,
            adapters=tuple(self.model.adapter_paths),
            # mtmd loads one projector; Ollama's runner also takes only the first
            projector=next(iter(self.model.projector_paths), None),
            draft=self.model.draft_path,
            trained_ctx=info.context_length if info else None,
            embedding_only="completion" not in self.capabilities,
        )

    def require(self, capability: str, message: str | None = None) -> None:
        if capability not in self.capabilities:
            long_name = self.model.name.display_long
            raise BadRequest(message or f"{long_name} does not support {capability}")


def resolve(store: Store, requested: str, *, missing: str = "generate") -> Resolved:
    """Look a model up case-insensitively. `missing` picks Ollama's wording of the 404."""
    if not requested:
        if missing == "embed":
            raise BadRequest("model is required")
        raise NotFound("model '' not found")
    name = Name.parse(requested)
    if not name.is_valid:
        raise BadRequest("invalid model name")
    # A model whose blobs are missing is "not found", as Ollama answers (Store.complete_model).
    model = store.complete_model(name)
    if model is None:
        if missing == "embed":
            raise NotFound(f'model "{requested}" not found, try pulling it first')
        raise NotFound(f"model '{requested}' not found")
    return Resolved(requested, model)
