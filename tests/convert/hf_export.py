"""The packaged gemma3 270M written back as a Hugging Face checkpoint, for the import tests.

The inverse of llama.cpp's conversion (convert_hf_to_gguf.py, Gemma3Model): the GGUF tensors
get their Hugging Face names back, every `*norm.weight` loses the 1 the converter added
(Gemma3RMSNorm scales by 1 + w), and the vocabulary becomes a SentencePiece `tokenizer.model`
plus the `added_tokens_decoder` of `tokenizer_config.json` that marks the special tokens, as
in google/gemma-3-270m. Matrices are written in the requested dtype; norms stay F32 so that
adding the 1 back gives the original values (checkpoints mixing dtypes exist, and an importer
must take each tensor's own dtype).

The safetensors file is written by hand, one tensor at a time, so that exporting never holds
more than one tensor in memory.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from gguf import GGUFReader

from tests.convert.spm_writer import write_sentencepiece_model

# GGUF tensor name (after `blk.N.`) → Hugging Face name (after `model.layers.N.`).
_LAYER_NAMES = {
    "attn_q.weight": "self_attn.q_proj.weight",
    "attn_k.weight": "self_attn.k_proj.weight",
    "attn_v.weight": "self_attn.v_proj.weight",
    "attn_output.weight": "self_attn.o_proj.weight",
    "attn_q_norm.weight": "self_attn.q_norm.weight",
    "attn_k_norm.weight": "self_attn.k_norm.weight",
    "attn_norm.weight": "input_layernorm.weight",
    "post_attention_norm.weight": "post_attention_layernorm.weight",
    "ffn_norm.weight": "pre_feedforward_layernorm.weight",
    "post_ffw_norm.weight": "post_feedforward_layernorm.weight",
    "ffn_gate.weight": "mlp.gate_proj.weight",
    "ffn_up.weight": "mlp.up_proj.weight",
    "ffn_down.weight": "mlp.down_proj.weight",
}
_GLOBAL_NAMES = {
    "token_embd.weight": "model.embed_tokens.weight",
    "output_norm.weight": "model.norm.weight",
}
_MATRIX_DTYPES: dict[str, type[np.floating[Any]]] = {"F16": np.float16, "F32": np.float32}
_TORCH_DTYPES = {"F16": "float16", "F32": "float32"}
# Every sixth gemma3 layer attends globally, the others within the sliding window (llama.cpp's
# default pattern for the architecture, and google/gemma-3-270m's `layer_types`).
_SLIDING_WINDOW_PATTERN = 6
# The rope base of the sliding-window layers: llama.cpp's default for gemma3 when the GGUF does
# not say, and the checkpoint's `rope_local_base_freq`.
_LOCAL_ROPE_BASE = 10000.0
# SentencePiece / GGUF token types (the same numbers in both).
_UNKNOWN, _CONTROL, _USER_DEFINED = 2, 3, 4
_SPACE = "\u2581"  # how SentencePiece spells a space inside a piece

GEMMA_CHAT_TEMPLATE = (
    "{{ bos_token }}\n"
    "{%- if messages[0]['role'] == 'system' -%}\n"
    "    {%- if messages[0]['content'] is string -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'] + '\\n\\n' -%}\n"
    "    {%- else -%}\n"
    "        {%- set first_user_prefix = messages[0]['content'][0]['text'] + '\\n\\n' -%}\n"
    "    {%- endif -%}\n"
    "    {%- set loop_messages = messages[1:] -%}\n"
    "{%- else -%}\n"
    '    {%- set first_user_prefix = "" -%}\n'
    "    {%- set loop_messages = messages -%}\n"
    "{%- endif -%}\n"
    "{%- for message in loop_messages -%}\n"
    "    {%- if (message['role'] == 'user') != (loop.index0 % 2 == 0) -%}\n"
    '        {{ raise_exception("Conversation roles must alternate user/assistant/user/'
    'assistant/...") }}\n'
    "    {%- endif -%}\n"
    "    {%- if (message['role'] == 'assistant') -%}\n"
    '        {%- set role = "model" -%}\n'
    "    {%- else -%}\n"
    "        {%- set role = message['role'] -%}\n"
    "    {%- endif -%}\n"
    "    {{ '<start_of_turn>' + role + '\\n' + (first_user_prefix if loop.first else \"\") }}\n"
    "    {%- if message['content'] is string -%}\n"
    "        {{ message['content'] | trim }}\n"
    "    {%- elif message['content'] is iterable -%}\n"
    "        {%- for item in message['content'] -%}\n"
    "            {%- if item['type'] == 'image' -%}\n"
    "                {{ '<start_of_image>' }}\n"
    "            {%- elif item['type'] == 'text' -%}\n"
    "                {{ item['text'] | trim }}\n"
    "            {%- endif -%}\n"
    "        {%- endfor -%}\n"
    "    {%- else -%}\n"
    '        {{ raise_exception("Invalid content type") }}\n'
    "    {%- endif -%}\n"
    "    {{ '<end_of_turn>\\n' }}\n"
    "{%- endfor -%}\n"
    "{%- if add_generation_prompt -%}\n"
    "    {{'<start_of_turn>model\\n'}}\n"
    "{%- endif -%}\n"
)


def export_gemma3_to_hf(gguf_path: Path, directory: Path, dtype: str = "F16") -> None:
    """Write the gemma3 GGUF at `gguf_path` (float weights) into `directory` as a Hugging Face
    checkpoint: config.json, model.safetensors, tokenizer.model, tokenizer_config.json and
    special_tokens_map.json. `dtype` ("F16" or "F32") is the type of the matrices."""
    if dtype not in _MATRIX_DTYPES:
        raise ValueError(f"unsupported export dtype {dtype!r}")
    reader = GGUFReader(gguf_path)
    kv = _metadata(reader)
    if kv["general.architecture"] != "gemma3":
        raise ValueError(f"{gguf_path}: not a gemma3 GGUF")
    directory.mkdir(parents=True, exist_ok=True)
    tied = all(tensor.name != "output.weight" for tensor in reader.tensors)
    config = hf_config(kv, dtype, tied=tied)
    (directory / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    _write_safetensors(directory / "model.safetensors", _hf_tensors(reader, dtype))
    _write_tokenizer(directory, kv)


def hf_config(kv: dict[str, Any], dtype: str, *, tied: bool) -> dict[str, Any]:
    """google/gemma-3-270m's config.json, with the numbers of the GGUF metadata `kv`."""

    def arch(key: str) -> Any:
        return kv[f"gemma3.{key}"]

    layers = int(arch("block_count"))
    head_dim = int(arch("attention.key_length"))
    layer_types = [
        "full_attention" if (i + 1) % _SLIDING_WINDOW_PATTERN == 0 else "sliding_attention"
        for i in range(layers)
    ]
    return {
        "architectures": ["Gemma3ForCausalLM"],
        "model_type": "gemma3_text",
        "attention_bias": False,
        "attention_dropout": 0.0,
        "attn_logit_softcapping": None,
        "final_logit_softcapping": kv.get("gemma3.final_logit_softcapping"),
        "bos_token_id": int(kv["tokenizer.ggml.bos_token_id"]),
        "eos_token_id": int(kv["tokenizer.ggml.eos_token_id"]),
        "pad_token_id": int(kv["tokenizer.ggml.padding_token_id"]),
        "head_dim": head_dim,
        "hidden_activation": "gelu_pytorch_tanh",
        "hidden_size": int(arch("embedding_length")),
        "initializer_range": 0.02,
        "intermediate_size": int(arch("feed_forward_length")),
        "layer_types": layer_types,
        "_sliding_window_pattern": _SLIDING_WINDOW_PATTERN,
        "max_position_embeddings": int(arch("context_length")),
        "num_attention_heads": int(arch("attention.head_count")),
        "num_hidden_layers": layers,
        "num_key_value_heads": int(arch("attention.head_count_kv")),
        "query_pre_attn_scalar": head_dim,
        "rms_norm_eps": _short_float(arch("attention.layer_norm_rms_epsilon")),
        "rope_local_base_freq": _short_float(kv.get("gemma3.rope.freq_base_swa", _LOCAL_ROPE_BASE)),
        "rope_scaling": None,
        "rope_theta": _short_float(arch("rope.freq_base")),
        "sliding_window": int(arch("attention.sliding_window")),
        "tie_word_embeddings": tied,
        "torch_dtype": _TORCH_DTYPES[dtype],
        "transformers_version": "4.55.0",
        "use_bidirectional_attention": False,
        "use_cache": True,
        "vocab_size": len(kv["tokenizer.ggml.tokens"]),
    }


def hf_name(gguf_name: str) -> str:
    """The Hugging Face name of a gemma3 GGUF tensor."""
    if gguf_name in _GLOBAL_NAMES:
        return _GLOBAL_NAMES[gguf_name]
    prefix, layer, rest = gguf_name.split(".", 2)
    if prefix != "blk" or rest not in _LAYER_NAMES:
        raise ValueError(f"no Hugging Face name for {gguf_name}")
    return f"model.layers.{layer}.{_LAYER_NAMES[rest]}"


def _metadata(reader: GGUFReader) -> dict[str, Any]:
    fields = reader.fields.items()
    return {name: field.contents() for name, field in fields if not name.startswith("GGUF.")}


def _short_float(value: float) -> float:
    """A float32 metadata value as the decimal a config would hold (1e-06, not 9.99...e-07)."""
    return float(str(np.float32(value)))


def _hf_tensors(reader: GGUFReader, dtype: str) -> list[_HFTensor]:
    """The checkpoint's tensors, converted only when written. GGUFReader's numpy shape is the
    reversed GGUF ne, which is Hugging Face's [out, in]."""
    tensors = []
    for tensor in reader.tensors:
        source = tensor.data
        if tensor.name.endswith("norm.weight"):
            tensors.append(_HFTensor(hf_name(tensor.name), "F32", source, _minus_one))
        else:
            target = _MATRIX_DTYPES[dtype]
            tensors.append(_HFTensor(hf_name(tensor.name), dtype, source, _cast_to(target)))
    return tensors


@dataclass(frozen=True)
class _HFTensor:
    name: str
    dtype: str  # the safetensors dtype: "F16" or "F32"
    source: np.ndarray  # a view into the mapped GGUF
    convert: Callable[[np.ndarray], np.ndarray]

    @property
    def size(self) -> int:
        return int(self.source.size) * np.dtype(_MATRIX_DTYPES[self.dtype]).itemsize


def _minus_one(array: np.ndarray) -> np.ndarray:
    return array.astype(np.float32) - np.float32(1.0)


def _cast_to(dtype: type[np.floating[Any]]) -> Callable[[np.ndarray], np.ndarray]:
    return lambda array: array.astype(dtype)


def _write_safetensors(path: Path, tensors: list[_HFTensor]) -> None:
    """A safetensors file: u64 LE header length, JSON header padded to 8 bytes, then the raw
    little-endian data of each tensor, converted and written one at a time."""
    entries: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for tensor in tensors:
        entries[tensor.name] = {
            "dtype": tensor.dtype,
            "shape": list(tensor.source.shape),
            "data_offsets": [offset, offset + tensor.size],
        }
        offset += tensor.size
    header = json.dumps(entries, separators=(",", ":")).encode()
    header += b" " * (-len(header) % 8)
    with path.open("wb") as out:
        out.write(struct.pack("<Q", len(header)))
        out.write(header)
        for tensor in tensors:
            data = tensor.convert(np.asarray(tensor.source))
            assert data.dtype == _MATRIX_DTYPES[tensor.dtype] and data.shape == tensor.source.shape
            out.write(data.astype(data.dtype.newbyteorder("<"), copy=False).tobytes())


def _write_tokenizer(directory: Path, kv: dict[str, Any]) -> None:
    """tokenizer.model, tokenizer_config.json and special_tokens_map.json from the GGUF
    vocabulary. The special and user-defined tokens are also listed in the config's
    `added_tokens_decoder`, which is where llama.cpp's converter takes their types from (a
    SentencePiece USER_DEFINED piece alone becomes a NORMAL token, the unknown piece stays
    UNKNOWN); user-defined whitespace pieces are spelled with U+2581, as SentencePiece does."""
    tokens: list[str] = list(kv["tokenizer.ggml.tokens"])
    scores: list[float] = [float(s) for s in kv["tokenizer.ggml.scores"]]
    types: list[int] = [int(t) for t in kv["tokenizer.ggml.token_type"]]
    unknown_id = int(kv["tokenizer.ggml.unknown_token_id"])
    pieces: list[tuple[str, float, int]] = []
    added: dict[str, Any] = {}
    for token_id, (text, score, token_type) in enumerate(zip(tokens, scores, types, strict=True)):
        if token_type == _USER_DEFINED:
            text = text.replace(" ", _SPACE)
        piece_type = _UNKNOWN if token_id == unknown_id else token_type
        pieces.append((text, score, piece_type))
        if token_type in (_CONTROL, _USER_DEFINED):
            added[str(token_id)] = _added_token(text, special=token_type == _CONTROL)
    write_sentencepiece_model(
        directory / "tokenizer.model",
        pieces,
        add_dummy_prefix=bool(kv.get("tokenizer.ggml.add_space_prefix", False)),
    )

    def token(key: str) -> str:
        return tokens[int(kv[f"tokenizer.ggml.{key}_token_id"])]

    specials = {"bos": token("bos"), "eos": token("eos"), "pad": token("padding")}
    specials["unk"] = token("unknown")
    config = {
        "add_bos_token": bool(kv.get("tokenizer.ggml.add_bos_token", True)),
        "add_eos_token": bool(kv.get("tokenizer.ggml.add_eos_token", False)),
        "added_tokens_decoder": added,
        **{f"{name}_token": text for name, text in specials.items()},
        "chat_template": GEMMA_CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 1000000000000000019884624838656,
        "padding_side": "left",
        "sp_model_kwargs": {},
        "spaces_between_special_tokens": False,
        "tokenizer_class": "GemmaTokenizer",
        "use_default_system_prompt": False,
    }
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2) + "\n")
    special_map: dict[str, Any] = {
        f"{name}_token": _added_token(text, None) for name, text in specials.items()
    }
    special_map |= {"boi_token": "<start_of_image>", "eoi_token": "<end_of_image>"}
    (directory / "special_tokens_map.json").write_text(json.dumps(special_map, indent=2) + "\n")


def _added_token(content: str, special: bool | None) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "content": content,
        "lstrip": False,
        "normalized": False,
        "rstrip": False,
        "single_word": False,
    }
    if special is not None:
        entry["special"] = special
    return entry
