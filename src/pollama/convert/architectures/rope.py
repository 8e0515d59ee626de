"""Rotary position settings: where Hugging Face configs keep them and the GGUF keys for them.

Configs spell them three ways: `rope_theta` + `rope_scaling` (transformers 4), one
`rope_parameters` object (transformers 5), or `rope_parameters` split per layer kind
(`full_attention` / `sliding_attention`). `Rope.of` reads all three; as llama.cpp's
converter (TextModel.set_gguf_parameters), scaling describes the full-attention layers.
"""

from __future__ import annotations

from dataclasses import dataclass

from pollama.convert.architectures.base import f32, text, u32
from pollama.convert.errors import ConvertError
from pollama.convert.hfconfig import HFConfig
from pollama.convert.plan import KV


@dataclass(frozen=True)
class Rope:
    theta: float
    scaling_type: str | None  # None: no scaling ("default" in the config)
    scaling: HFConfig  # the scaling parameters (factor, original_max_position_embeddings, ...)
    local_theta: float | None  # sliding-window layers' base, when the config has one

    @classmethod
    def of(cls, config: HFConfig, default_theta: float = 10000.0) -> Rope:
        key = "rope_parameters" if config.has("rope_parameters") else "rope_scaling"
        params = HFConfig(config.mapping(key), f'{config.source}: "{key}"')
        sliding: HFConfig | None = None
        if params.has("full_attention") or params.has("sliding_attention"):
            source = params.source
            sliding = HFConfig(params.mapping("sliding_attention"), f"{source}.sliding_attention")
            params = HFConfig(params.mapping("full_attention"), f"{source}.full_attention")
        theta = params.optional_number("rope_theta") or config.number("rope_theta", default_theta)
        local = sliding.optional_number("rope_theta") if sliding is not None else None
        local = local or config.optional_number("rope_local_base_freq")
        kind = params.optional_string("rope_type") or params.optional_string("type")
        kind = kind.lower() if kind else None
        return cls(theta, None if kind == "default" else kind, params, local)

    def original_context(self, config: HFConfig) -> int:
        return self.scaling.optional_integer("original_max_position_embeddings") or config.integer(
            "original_max_position_embeddings"
        )


def scaling_metadata(
    arch: str, rope: Rope, config: HFConfig, handled: tuple[str, ...] = ()
) -> list[KV]:
    """The `{arch}.rope.scaling.*` keys for linear and YaRN scaling; `handled` names the other
    types the architecture deals with itself (llama3 factors, Phi-3 longrope); any other type
    is refused rather than silently computing a different function."""
    kind = rope.scaling_type
    if kind is None or kind in handled:
        return []
    params = rope.scaling
    if kind == "linear":
        return [
            text(f"{arch}.rope.scaling.type", "linear"),
            f32(f"{arch}.rope.scaling.factor", params.number("factor")),
        ]
    if kind == "yarn":
        kvs = [
            text(f"{arch}.rope.scaling.type", "yarn"),
            f32(f"{arch}.rope.scaling.factor", params.number("factor")),
            u32(f"{arch}.rope.scaling.original_context_length", rope.original_context(config)),
        ]
        optional = {
            "extrapolation_factor": "yarn_ext_factor",
            "attention_factor": "yarn_attn_factor",
            "beta_fast": "yarn_beta_fast",
            "beta_slow": "yarn_beta_slow",
        }
        for name, suffix in optional.items():
            value = params.optional_number(name)
            if value is not None:
                kvs.append(f32(f"{arch}.rope.scaling.{suffix}", value))
        return kvs
    raise ConvertError(f'{params.source}: unsupported rope scaling type "{kind}"')
