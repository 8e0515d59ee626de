"""`/api/create`: a new model from uploaded GGUF blobs and/or an existing model
(Ollama's server/create.go, CreateHandler).

Everything that can be refused is checked in `prepare` before any byte is written or any status
is streamed, so those errors get a real HTTP status; `run` then writes blobs and the manifest and
yields Ollama's status messages.
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pollama import templates
from pollama.convert.errors import ConvertError
from pollama.convert.layer import convert_blobs
from pollama.convert.plan import ConversionPlan
from pollama.convert.staging import is_safetensors, staged
from pollama.errors import BadRequest, NotFound
from pollama.gguf import metadata
from pollama.gguf.adapter_fit import check_adapter_fits
from pollama.gguf.draft_fit import check_draft_fits
from pollama.models.config import build_config
from pollama.models.layers import LayerList, compact_json
from pollama.names import Name
from pollama.quantize.layer import quantize_blob
from pollama.quantize.types import (
    SOURCE_FILE_TYPES,
    WRONG_SOURCE,
    QuantizeType,
    parse_quantize_type,
)
from pollama.store import Model, PinSet, Store, media_types
from pollama.store.blobs import digest_bytes, parse_digest
from pollama.store.manifest import Layer, Manifest

DRAFT_NOT_GGUF = "a draft model must be a GGUF file: safetensors drafts are not converted"
_KIND_TO_MEDIA_TYPE = {
    "model": media_types.MODEL,
    "projector": media_types.PROJECTOR,
    "adapter": media_types.ADAPTER,
}


@dataclass
class WeightFile:
    filename: str
    digest: str
    info: metadata.GGUFInfo
    media_type: str


@dataclass(frozen=True)
class CreateInput:
    """What a create request asks for, as the route read it (nothing checked yet).

    `model` is the new name (the request's `model`, else its legacy `name`); `source` is
    its `from`; `files`, `adapters` and `draft_files` map file names to blob digests.
    """

    model: str
    source: str | None = None
    files: dict[str, str] = field(default_factory=dict)
    adapters: dict[str, str] = field(default_factory=dict)
    template: str | None = None
    system: str | None = None
    licenses: list[str] = field(default_factory=list)
    parameters: dict[str, Any] | None = None
    messages: list[dict[str, Any]] | None = None  # in Ollama's API shape, stored as JSON
    quantize: str | None = None
    requires: str | None = None
    draft_files: dict[str, str] = field(default_factory=dict)


@dataclass
class Conversion:
    """Uploaded safetensors files (name → digest) and what converting them will write."""

    kind: Literal["model", "adapter"]
    files: dict[str, str]
    plan: ConversionPlan


@dataclass
class CreatePlan:
    name: Name
    base: Model | None = None  # the model named by `from`, if any
    weights: list[WeightFile] = field(default_factory=list)
    adapters: list[WeightFile] = field(default_factory=list)
    template: str | None = None
    system: str | None = None
    licenses: list[str] = field(default_factory=list)
    parameters: dict[str, Any] | None = None
    messages: list[dict[str, Any]] | None = None
    requires: str | None = None
    quantize: QuantizeType | None = None  # None also when the weights already are that type
    quantize_from: str = ""  # the model layer's file type before quantizing ("F16")
    conversion: Conversion | None = None  # a Hugging Face model to convert
    adapter_conversion: Conversion | None = None  # a PEFT LoRA adapter to convert
    draft: WeightFile | None = None  # a draft model for speculative decoding (DRAFT)


def _valid_relative_path(filename: str) -> bool:
    """Go's fs.ValidPath: slash-separated, not rooted, no empty, `.` or `..` elements."""
    if filename == ".":
        return True
    if not filename or filename.startswith("/") or "\\" in filename:
        return False
    return all(part not in ("", ".", "..") for part in filename.split("/"))


def _check_file_names(files: dict[str, str]) -> None:
    for filename, digest in files.items():
        if not _valid_relative_path(filename) or posixpath.isabs(filename):
            raise BadRequest("file path must be relative")
        if not digest:
            raise BadRequest("invalid digest format")


class Creator:
    def __init__(self, store: Store, *, prune: bool = True) -> None:
        self.store = store
        self.prune = prune

    def _weight_file(self, filename: str, digest: str) -> WeightFile:
        if not _valid_relative_path(filename) or posixpath.isabs(filename):
            raise BadRequest("file path must be relative")
        if not digest:
            raise BadRequest("invalid digest format")
        digest = parse_digest(digest)
        path = self.store.blobs.path(digest)
        if not path.is_file():
            raise BadRequest(f'blob "{digest}" not found: upload it with POST /api/blobs/{digest}')
        if not filename.lower().endswith(".gguf") and not _is_gguf(path):
            raise BadRequest(
                f"{filename}: only GGUF files are supported; safetensors models cannot be "
                "converted by pollama"
            )
        info = metadata.read_gguf(path)
        problems = metadata.load_problems(info)
        if problems:
            # Refused here, not at the first load (a 500 long after create said "success").
            raise BadRequest(
                f"{filename}: not a GGUF model pollama can load: {'; '.join(problems)}"
            )
        kind = metadata.layer_kind(info)
        return WeightFile(filename, digest, info, _KIND_TO_MEDIA_TYPE[kind])

    def prepare(self, request: CreateInput) -> CreatePlan:
        """Validate a create request; every refusal happens here, before anything is written."""
        name = Name.parse(request.model)
        if not name.is_valid:
            raise BadRequest("invalid model name")
        source, files = request.source, request.files
        if not source and not files:
            raise BadRequest("neither 'from' or 'files' was specified")
        plan = CreatePlan(name=name)
        if source:
            base_name = Name.parse(source)
            if not base_name.is_valid:
                raise BadRequest("invalid model name")
            plan.base = self.store.complete_model(base_name)
            if plan.base is None:
                raise NotFound(f"model '{source}' not found")
        if files and is_safetensors(files):
            plan.conversion = self._plan_conversion("model", files)
        else:
            plan.weights = [self._weight_file(f, d) for f, d in files.items()]
        if plan.weights and not any(w.media_type == media_types.MODEL for w in plan.weights):
            raise BadRequest("no model weights found: every GGUF given is an adapter or projector")
        if is_safetensors(request.adapters):
            plan.adapter_conversion = self._plan_conversion(
                "adapter", request.adapters, _base_kv(plan)
            )
        else:
            plan.adapters = [self._weight_file(f, d) for f, d in request.adapters.items()]
        if len(plan.adapters) > 1:
            raise BadRequest("only one adapter is currently supported")
        if any(a.media_type != media_types.ADAPTER for a in plan.adapters):
            raise BadRequest("adapter file is not a LoRA adapter (general.type must be 'adapter')")
        if plan.adapters:  # refused here rather than by llama.cpp at the first request
            models = [w.info for w in plan.weights if w.media_type == media_types.MODEL]
            base_gguf = models[0] if models else None
            if base_gguf is None and plan.base is not None and plan.base.model_path is not None:
                base_gguf = metadata.read_gguf(plan.base.model_path)
            for adapter in plan.adapters:
                check_adapter_fits(adapter.filename, adapter.info, base_gguf)
        if request.draft_files:
            plan.draft = self._draft_file(request.draft_files, _base_kv(plan))
        if request.template is not None:
            try:
                templates.validate(request.template)
            except templates.TemplateError as exc:
                raise BadRequest(f"template error: {exc.message}") from None
            plan.template = request.template
        plan.system = request.system
        plan.licenses = list(request.licenses)
        plan.parameters = request.parameters
        plan.messages = request.messages
        plan.requires = request.requires
        if request.quantize:
            self._plan_quantize(plan, request.quantize)
        return plan

    def _draft_file(self, files: dict[str, str], model_kv: dict[str, Any] | None) -> WeightFile:
        """The one GGUF draft model of a request, checked against the model it drafts for (its
        vocabulary must be the model's, token for token)."""
        _check_file_names(files)
        if is_safetensors(files):
            raise BadRequest(DRAFT_NOT_GGUF)
        if len(files) > 1:
            raise BadRequest("only one draft model file is supported")
        filename, digest = next(iter(files.items()))
        draft = self._weight_file(filename, digest)
        check_draft_fits(filename, draft.info, model_kv)
        return WeightFile(filename, draft.digest, draft.info, media_types.DRAFT)

    def _plan_conversion(
        self,
        kind: Literal["model", "adapter"],
        files: dict[str, str],
        base_kv: dict[str, Any] | None = None,
    ) -> Conversion:
        """Read the configs, tokenizer and safetensors headers of the upload: every refusal
        (unsupported architecture, a missing file or tensor, a bad dtype or shape) is a 400
        here, before anything is written."""
        _check_file_names(files)
        # Imported here: the converter's modules are needed only by a conversion.
        from pollama.convert.adapter import plan_adapter
        from pollama.convert.model import plan_model

        with staged(self.store.blobs, files) as directory:
            if kind == "model":
                return Conversion(kind, files, plan_model(directory))
            if base_kv is None:
                raise ConvertError(
                    "converting an adapter needs its base model: FROM a model or its weights"
                )
            return Conversion(kind, files, plan_adapter(directory, base_kv))

    def _plan_quantize(self, plan: CreatePlan, text: str) -> None:
        """Ollama's checks (server/create.go, createModel): a known type, float weights; asking
        for the type the weights already have quantizes nothing."""
        target = parse_quantize_type(text)
        source_type = _model_file_type(plan)
        if source_type not in SOURCE_FILE_TYPES:
            raise BadRequest(WRONG_SOURCE)
        if source_type != target.file_type:
            plan.quantize, plan.quantize_from = target, source_type

    def run(self, plan: CreatePlan) -> Iterator[dict[str, Any]]:
        # Every blob the new manifest will name stays pinned until it is published, so that a
        # concurrent delete's prune cannot take a shared layer from under it.
        with self.store.guard.pinned() as pins:
            yield from self._run(plan, pins)

    def _run(self, plan: CreatePlan, pins: PinSet) -> Iterator[dict[str, Any]]:
        if plan.weights:
            yield {"status": "parsing GGUF"}
        layers = LayerList(self.store.blobs, pins)
        base_params: dict[str, Any] = {}
        if plan.base is not None:
            # Inherited layers record where they came from (the base model's short name).
            base_name = plan.base.name.display_shortest
            for layer in plan.base.manifest.layers:
                layers.add_existing(
                    Layer(layer.media_type, layer.digest, layer.size, base_name, layer.name)
                )
            base_params = dict(plan.base.parameters)
        if plan.weights:
            layers.remove(*media_types.WEIGHT_LAYERS)
            for weight in plan.weights:
                size = self.store.blobs.size(weight.digest)
                layers.add_existing(Layer(weight.media_type, weight.digest, size, weight.filename))
        if plan.conversion is not None:
            yield from self._convert(plan.conversion, layers, pins, media_types.MODEL)
        if plan.quantize is not None:
            yield from self._quantize(plan.quantize, plan.quantize_from, layers, pins)
        if plan.adapter_conversion is not None:
            yield from self._convert(plan.adapter_conversion, layers, pins, media_types.ADAPTER)
        for adapter in plan.adapters:
            layers.remove(media_types.ADAPTER)
            size = self.store.blobs.size(adapter.digest)
            layers.add_existing(Layer(media_types.ADAPTER, adapter.digest, size, adapter.filename))
        if (draft := plan.draft) is not None:
            layers.remove(media_types.DRAFT)  # a new draft replaces the base model's
            size = self.store.blobs.size(draft.digest)
            layers.add_existing(Layer(media_types.DRAFT, draft.digest, size, draft.filename))
        if plan.template is not None:
            layers.replace_text("template", plan.template.encode())
        if plan.system is not None:
            layers.replace_text("system", plan.system.encode())
        for text in plan.licenses:
            layers.add_blob(media_types.LICENSE, text.encode())
        if plan.parameters:
            layers.replace_text("params", compact_json({**base_params, **plan.parameters}))
        if plan.messages:
            layers.replace_text("messages", compact_json(plan.messages))

        for layer in layers.layers:
            verb = "creating new" if layer.digest in layers.created else "using existing"
            yield {"status": f"{verb} layer {layer.digest}"}

        model_path = _model_path(self.store, layers.layers)
        info = metadata.read_gguf(model_path) if model_path else None
        draft_path = layers.last_blob(media_types.DRAFT)
        draft_info = metadata.read_gguf(draft_path) if draft_path else None
        base_config = plan.base.config if plan.base is not None else {}
        config_doc = build_config(info, layers.layers, base_config, plan.requires, draft=draft_info)
        config_json = compact_json(config_doc)
        config_bytes = config_json + b"\n"
        pins.add(digest_bytes(config_bytes))
        config_digest = self.store.blobs.write_bytes(config_bytes)
        config = Layer(media_types.CONFIG, config_digest, len(config_bytes))
        manifest = Manifest(config=config, layers=layers.layers)

        yield {"status": "writing manifest"}
        self.store.publish(plan.name, manifest.to_bytes(), prune=self.prune)
        yield {"status": "success"}

    def _convert(
        self, conversion: Conversion, layers: LayerList, pins: PinSet, media_type: str
    ) -> Iterator[dict[str, Any]]:
        """Replace the model (or adapter) layers by the converted GGUF."""
        base = _model_path(self.store, layers.layers) if conversion.kind == "adapter" else None
        blobs = self.store.blobs
        digest, created = yield from convert_blobs(
            blobs, pins, conversion.kind, conversion.files, conversion.plan, base=base
        )
        if media_type == media_types.MODEL:
            layers.remove(*media_types.WEIGHT_LAYERS)
        else:
            layers.remove(media_types.ADAPTER)
        layers.add_existing(Layer(media_type, digest, blobs.size(digest)))
        if created:
            layers.created.add(digest)

    def _quantize(
        self, target: QuantizeType, source_type: str, layers: LayerList, pins: PinSet
    ) -> Iterator[dict[str, Any]]:
        """Replace the model layer by its quantized copy (the float weights are not kept)."""
        source = layers.of(media_types.MODEL)[0]
        blobs = self.store.blobs
        digest, created = yield from quantize_blob(blobs, pins, source.digest, source_type, target)
        quantized = Layer(media_types.MODEL, digest, blobs.size(digest))
        layers.replace(source, quantized, created=created)


def _model_file_type(plan: CreatePlan) -> str:
    """The file type of the weights the new model will have before quantizing."""
    if plan.conversion is not None:
        return plan.conversion.plan.file_type
    models = [w.info for w in plan.weights if w.media_type == media_types.MODEL]
    if models:
        return models[0].file_type
    if plan.base is not None and plan.base.model_path is not None:
        return metadata.read_gguf(plan.base.model_path).file_type
    return "unknown"


def _base_kv(plan: CreatePlan) -> dict[str, Any] | None:
    """The metadata of the model an adapter will apply to: the weights being converted or
    uploaded in this request, else the `from` model's."""
    if plan.conversion is not None:
        return {kv.key: kv.value for kv in plan.conversion.plan.metadata}
    models = [w.info for w in plan.weights if w.media_type == media_types.MODEL]
    if models:
        return models[0].kv
    if plan.base is not None and plan.base.model_path is not None:
        return metadata.read_gguf(plan.base.model_path).kv
    return None


def _is_gguf(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(4) == b"GGUF"


def _model_path(store: Store, layers: list[Layer]) -> Path | None:
    layer = next((x for x in layers if x.media_type == media_types.MODEL), None)
    return None if layer is None else store.blobs.path(layer.digest)
