"""Which Architecture converts a checkpoint: by `architectures[0]` in config.json (or, when a
config lacks it, by `model_type`), or by the GGUF architecture of a base model (adapters)."""

from __future__ import annotations

from collections.abc import Callable

from pollama.convert.architectures.base import Architecture
from pollama.convert.architectures.gemma import Gemma, Gemma2, Gemma3, Gemma3Multimodal
from pollama.convert.architectures.llama import Llama
from pollama.convert.architectures.phi3 import Phi3
from pollama.convert.architectures.qwen import Qwen2, Qwen3
from pollama.convert.errors import ConvertError
from pollama.convert.hfconfig import HFConfig

ARCHITECTURES: dict[str, Callable[[str], Architecture]] = {
    "LlamaForCausalLM": Llama,
    "MistralForCausalLM": Llama,
    "Qwen2ForCausalLM": Qwen2,
    "Qwen3ForCausalLM": Qwen3,
    "GemmaForCausalLM": Gemma,
    "Gemma2ForCausalLM": Gemma2,
    "Gemma3ForCausalLM": Gemma3,
    "Gemma3ForConditionalGeneration": Gemma3Multimodal,
    "Phi3ForCausalLM": Phi3,
}
_BY_MODEL_TYPE = {
    "llama": "LlamaForCausalLM",
    "mistral": "MistralForCausalLM",
    "qwen2": "Qwen2ForCausalLM",
    "qwen3": "Qwen3ForCausalLM",
    "gemma": "GemmaForCausalLM",
    "gemma2": "Gemma2ForCausalLM",
    "gemma3_text": "Gemma3ForCausalLM",
    "gemma3": "Gemma3ForConditionalGeneration",
    "phi3": "Phi3ForCausalLM",
}
# A base model's GGUF architecture → the HF architecture whose names its adapters use.
_BY_GGUF = {
    "llama": "LlamaForCausalLM",
    "qwen2": "Qwen2ForCausalLM",
    "qwen3": "Qwen3ForCausalLM",
    "gemma": "GemmaForCausalLM",
    "gemma2": "Gemma2ForCausalLM",
    "gemma3": "Gemma3ForCausalLM",
    "phi3": "Phi3ForCausalLM",
}


def hf_architecture(config: HFConfig) -> str:
    """`architectures[0]`, else the architecture of a known `model_type`."""
    names = config.items("architectures")
    if names:
        if not isinstance(names[0], str):
            raise ConvertError(f'{config.source}: "architectures" must list strings')
        return names[0]
    model_type = config.optional_string("model_type")
    if model_type is None:
        raise ConvertError(f'{config.source}: missing "architectures"')
    if model_type not in _BY_MODEL_TYPE:
        raise ConvertError(f'unsupported model type "{model_type}"')
    return _BY_MODEL_TYPE[model_type]


def architecture_for(config: HFConfig) -> Architecture:
    name = hf_architecture(config)
    if name not in ARCHITECTURES:
        raise ConvertError(f'unsupported architecture "{name}"')
    return ARCHITECTURES[name](name)


def architecture_for_gguf(gguf_architecture: str) -> Architecture | None:
    """The Architecture an adapter for a base of this GGUF architecture is converted with;
    None when there is none."""
    name = _BY_GGUF.get(gguf_architecture)
    return None if name is None else ARCHITECTURES[name](name)
