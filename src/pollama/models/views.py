"""What `/api/tags` and `/api/show` report about a stored model
(Ollama's server/routes.go: ListHandler, ShowHandler)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

from pollama import templates
from pollama.gguf import metadata
from pollama.go import time as timefmt
from pollama.modelfile import render_modelfile
from pollama.options import format_show_parameters
from pollama.store import Model


@lru_cache(maxsize=4)  # a GGUFInfo holds the vocabulary: tens of MB for big ones
def _gguf(path: Path, mtime_ns: int) -> metadata.GGUFInfo:
    return metadata.read_gguf(path)


def gguf_info(model: Model) -> metadata.GGUFInfo | None:
    """The model layer's GGUF metadata, cached per blob (blobs never change once written)."""
    path = model.model_path
    if path is None or not path.is_file():
        return None
    return _gguf(path, path.stat().st_mtime_ns)


def details(model: Model, *, parent: bool = False) -> dict[str, Any]:
    config = model.config
    out: dict[str, Any] = {
        "parent_model": model.parent_model if parent else "",
        "format": config.get("model_format", ""),
        "family": config.get("model_family", ""),
        "families": config.get("model_families"),
        "parameter_size": config.get("model_type", ""),
        "quantization_level": config.get("file_type", ""),
    }
    return out


def template_capabilities(model: Model, info: metadata.GGUFInfo | None) -> set[str]:
    if model.template is not None:
        return templates.capabilities(model.template)
    chat_template = info.chat_template if info is not None else None
    if not chat_template:
        return set()
    found = set()
    if "tools" in chat_template or "tool_call" in chat_template:
        found.add("tools")
    if "<think>" in chat_template and "</think>" in chat_template:
        found.add("thinking")
    return found


def capabilities(model: Model) -> list[str]:
    info = gguf_info(model)
    caps: list[str] = list(metadata.capabilities(info)) if info is not None else ["completion"]
    if model.projector_paths and "vision" not in caps:
        caps.append("vision")
    extra = template_capabilities(model, info)
    caps.extend(c for c in ("tools", "insert", "thinking") if c in extra)
    caps.extend(c for c in model.config.get("capabilities") or [] if c not in caps)
    return caps


def effective_template(model: Model) -> str:
    """The template a model renders prompts with: TEMPLATE layer, else GGUF Jinja, else default."""
    if model.template is not None:
        return model.template
    info = gguf_info(model)
    if info is not None and info.chat_template:
        return info.chat_template
    return templates.DEFAULT_TEMPLATE


def list_entry(model: Model) -> dict[str, Any]:
    name = model.name.display_shortest
    entry: dict[str, Any] = {
        "name": name,
        "model": name,
        "modified_at": timefmt.local_from_seconds(model.stored.mtime),
        "size": model.manifest.size,
        "digest": model.stored.digest,
        "details": details(model),
    }
    for key in ("context_length", "embedding_length"):
        if model.config.get(key):
            entry["details"][key] = model.config[key]
    try:
        entry["capabilities"] = capabilities(model)
    except Exception:  # an unreadable blob must not break the whole listing
        pass
    return entry


def show_response(
    model: Model,
    *,
    verbose: bool = False,
    system: str | None = None,
    options: dict[str, Any] | None = None,
) -> dict[str, Any]:
    info = gguf_info(model)
    parameters = {**model.parameters, **(options or {})}
    system_text = system if system else model.system
    response: dict[str, Any] = {}
    if model.licenses:
        response["license"] = "\n".join(model.licenses)
    response["modelfile"] = render_modelfile(
        display_name=model.name.display_shortest,
        model_paths=[str(model.model_path)] if model.model_path else [],
        adapter_paths=[str(p) for p in model.adapter_paths],
        projector_paths=[str(p) for p in model.projector_paths],
        draft_path=str(model.draft_path) if model.draft_path else None,
        template=model.template,
        system=system_text,
        parameters=parameters,
        licenses=model.licenses,
        messages=model.messages,
    )
    if parameters:
        response["parameters"] = format_show_parameters(parameters)
    template = model.template if model.template is not None else (info and info.chat_template)
    if template:
        response["template"] = template
    if system_text:
        response["system"] = system_text
    if model.config.get("requires"):
        response["requires"] = model.config["requires"]
    response["details"] = details(model, parent=True)
    if model.messages:
        response["messages"] = [
            {"role": m.get("role", ""), "content": m.get("content", "")} for m in model.messages
        ]
    response["model_info"] = metadata.model_info(info, verbose=verbose) if info else {}
    if info is not None:
        response["tensors"] = metadata.tensor_list(info)
    response["capabilities"] = capabilities(model)
    response["modified_at"] = timefmt.local_from_seconds(model.stored.mtime)
    return response
