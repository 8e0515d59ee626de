"""Tiny random Hugging Face model directories, as real checkpoints of each architecture lay them
out: config.json (the real field names), model.safetensors, a byte-level BPE tokenizer.json
trained with `tokenizers`, and tokenizer_config.json.

Weights are scaled so every block changes the residual stream noticeably and the logits spread
widely (standard deviation about 6), which gives clear top-1 margins at most positions.
"""

from __future__ import annotations

import json
import math
import struct
from pathlib import Path
from typing import Any, NamedTuple, TypedDict

import numpy as np
from safetensors.numpy import save_file
from tokenizers import Regex, Tokenizer, decoders, models, pre_tokenizers, trainers

# The variants: one per architecture, plus layouts real checkpoints of it also use.
ARCHITECTURES = (
    "llama",  # Llama 2 layout, untied, no head_dim field, legacy linear rope_scaling
    "llama3",  # Llama 3.2 layout: tied, head_dim field, llama3 rope_scaling, eos id list
    "mistral",  # head_dim * heads != hidden_size (as Mistral Nemo)
    "qwen2",  # q/k/v biases, tied
    "qwen3",  # q_norm / k_norm, head_dim * heads != hidden_size, tied
    "gemma",  # multi-query attention, no tie_word_embeddings field (tied by default)
    "gemma2",  # softcapping, sliding window on even layers
    "gemma3",  # 7 layers: every 6th is global (layer 5)
    "gemma3-layer-types",  # explicit layer_types, linear rope_scaling, another local base
    "phi3",  # fused qkv / gate_up, partial rotary, GQA, tied (as Phi-4-mini)
    "phi3-longrope",  # multi-head attention, untied, longrope scaling (as Phi-3-mini-128k)
)
DTYPES = ("F32", "F16", "BF16")

HIDDEN, INTERMEDIATE, HEADS = 64, 128, 4
LOGIT_STD = 6.0

SENTENCES = [
    "The quick brown fox jumps over the lazy dog.",
    "A tiny model has a tiny vocabulary, trained on a few sentences like these ones.",
    "def add(a, b):\n    return a + b\n",
    "Numbers: 0 1 2 3 4 5 6 7 8 9 10 42 1234 and the end of the line.",
    "She sells sea shells by the sea shore; the shells she sells are sea shells.",
    "Converting safetensors to GGUF keeps every weight and every token the same.",
]

LLAMA3_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
QWEN2_SPLIT = (
    r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}"
    r"| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"
)
CHAT_TEMPLATE = (
    "{{ bos_token }}{% for message in messages %}{{ message['role'] }}: "
    "{{ message['content'] }}\n{% endfor %}{% if add_generation_prompt %}assistant:{% endif %}"
)


class SyntheticModel(TypedDict):
    config: dict[str, Any]
    weights: dict[str, np.ndarray]  # float32 arrays holding exactly the stored values


class _Vocabulary(NamedTuple):
    specials: list[str]  # in id order, first in the vocabulary
    bos: str | None
    eos: str
    add_bos: bool
    split: str | None  # the pre-tokenizer's Split regex; None: GPT-2's ByteLevel regex


def _family(name: str) -> str:
    """ "gemma", "qwen", "phi" or "llama", for a variant name or a config's model_type."""
    return next((family for family in ("gemma", "qwen", "phi") if name.startswith(family)), "llama")


_VOCABULARIES = {
    "llama": _Vocabulary(["<unk>", "<s>", "</s>"], "<s>", "</s>", True, None),
    "llama3": _Vocabulary(
        ["<|begin_of_text|>", "<|end_of_text|>", "<|start_header_id|>", "<|end_header_id|>",
         "<|eot_id|>"],
        "<|begin_of_text|>", "<|eot_id|>", True, LLAMA3_SPLIT,
    ),
    "qwen": _Vocabulary(
        ["<|endoftext|>", "<|im_start|>", "<|im_end|>"], None, "<|im_end|>", False, QWEN2_SPLIT
    ),
    "gemma": _Vocabulary(
        ["<pad>", "<eos>", "<bos>", "<unk>", "<start_of_turn>", "<end_of_turn>"],
        "<bos>", "<eos>", True, None,
    ),
    "phi": _Vocabulary(
        ["<unk>", "<s>", "</s>", "<|endoftext|>", "<|user|>", "<|assistant|>", "<|end|>"],
        "<s>", "<|endoftext|>", False, None,
    ),
}  # fmt: skip


def _vocabulary(architecture: str) -> _Vocabulary:
    return _VOCABULARIES[architecture if architecture == "llama3" else _family(architecture)]


def _train_tokenizer(vocabulary: _Vocabulary) -> Tokenizer:
    tokenizer = Tokenizer(models.BPE())
    if vocabulary.split is None:
        tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    else:
        tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
            [
                pre_tokenizers.Split(Regex(vocabulary.split), behavior="isolated"),
                pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
            ]
        )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=320,
        special_tokens=vocabulary.specials,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(SENTENCES, trainer)
    return tokenizer


def _token_id(tokenizer: Tokenizer, token: str) -> int:
    found = tokenizer.token_to_id(token)
    assert found is not None, token
    return int(found)


def _base_config(architecture: str) -> dict[str, Any]:
    """The architecture-specific config fields (sizes, rope, norms, softcapping, windows)."""
    common: dict[str, Any] = {
        "hidden_size": HIDDEN, "intermediate_size": INTERMEDIATE, "num_hidden_layers": 2,
        "num_attention_heads": HEADS, "num_key_value_heads": 2, "hidden_act": "silu",
        "max_position_embeddings": 2048, "initializer_range": 0.02, "attention_dropout": 0.0,
    }  # fmt: skip
    gemma: dict[str, Any] = {
        "hidden_act": "gelu_pytorch_tanh", "hidden_activation": "gelu_pytorch_tanh",
        "rms_norm_eps": 1e-6, "head_dim": 32, "attention_bias": False,
    }  # fmt: skip
    variants: dict[str, dict[str, Any]] = {
        "llama": {
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "rms_norm_eps": 1e-5,
            "rope_theta": 10000.0, "rope_scaling": {"type": "linear", "factor": 2.0},
            "tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
        },
        "llama3": {
            "architectures": ["LlamaForCausalLM"], "model_type": "llama", "rms_norm_eps": 1e-5,
            "head_dim": 16, "rope_theta": 500000.0, "tie_word_embeddings": True,
            "rope_scaling": {
                "rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                "high_freq_factor": 4.0, "original_max_position_embeddings": 64,
            },
            "attention_bias": False, "mlp_bias": False, "pretraining_tp": 1,
        },
        "mistral": {
            "architectures": ["MistralForCausalLM"], "model_type": "mistral", "head_dim": 32,
            "rms_norm_eps": 1e-5, "rope_theta": 1000000.0, "sliding_window": None,
            "tie_word_embeddings": False,
        },
        "qwen2": {
            "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "rms_norm_eps": 1e-6,
            "rope_theta": 1000000.0, "tie_word_embeddings": True, "use_sliding_window": False,
            "sliding_window": 32768, "max_window_layers": 2, "rope_scaling": None,
        },
        "qwen3": {
            "architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "head_dim": 32,
            "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "tie_word_embeddings": True,
            "attention_bias": False, "use_sliding_window": False, "sliding_window": None,
            "max_window_layers": 2, "rope_scaling": None,
        },
        "gemma": {
            **gemma, "architectures": ["GemmaForCausalLM"], "model_type": "gemma",
            "num_key_value_heads": 1, "rope_theta": 10000.0,
        },
        "gemma2": {
            **gemma, "architectures": ["Gemma2ForCausalLM"], "model_type": "gemma2",
            "num_hidden_layers": 3, "rope_theta": 10000.0, "query_pre_attn_scalar": 32,
            "attn_logit_softcapping": 3.0, "final_logit_softcapping": 15.0,
            "sliding_window": 32, "cache_implementation": "hybrid", "tie_word_embeddings": True,
        },
        "gemma3": {
            **gemma, "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text",
            "num_hidden_layers": 7, "num_key_value_heads": 1, "query_pre_attn_scalar": 32,
            "rope_theta": 1000000.0, "rope_local_base_freq": 10000.0, "rope_scaling": None,
            "sliding_window": 32, "sliding_window_pattern": 6,
            "layer_types": ["sliding_attention"] * 5 + ["full_attention", "sliding_attention"],
            "attn_logit_softcapping": None, "final_logit_softcapping": None,
            "tie_word_embeddings": True,
        },
        "gemma3-layer-types": {
            **gemma, "architectures": ["Gemma3ForCausalLM"], "model_type": "gemma3_text",
            "num_hidden_layers": 3, "query_pre_attn_scalar": 32, "rope_theta": 1000000.0,
            "rope_local_base_freq": 20000.0, "rope_scaling": {"rope_type": "linear", "factor": 8.0},
            "sliding_window": 32,
            "layer_types": ["sliding_attention", "full_attention", "sliding_attention"],
            "attn_logit_softcapping": None, "final_logit_softcapping": None,
            "tie_word_embeddings": True,
        },
        "phi3": {
            "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "rms_norm_eps": 1e-5,
            "rope_theta": 10000.0, "rope_scaling": None, "partial_rotary_factor": 0.5,
            "original_max_position_embeddings": 2048, "sliding_window": 2047,
            "tie_word_embeddings": True, "attention_bias": False, "resid_pdrop": 0.0,
            "embd_pdrop": 0.0,
        },
        "phi3-longrope": {
            "architectures": ["Phi3ForCausalLM"], "model_type": "phi3", "rms_norm_eps": 1e-5,
            "num_key_value_heads": HEADS, "rope_theta": 10000.0, "max_position_embeddings": 16384,
            # llama.cpp picks the long factors when its context (padded to 256) exceeds this,
            # Hugging Face when the sequence does: above 256 both use the short ones here.
            "original_max_position_embeddings": 512, "sliding_window": 262144,
            "rope_scaling": {
                "type": "longrope",
                "short_factor": [1.0, 1.1, 1.3, 1.6, 2.0, 2.5, 3.1, 3.8],
                "long_factor": [1.0, 2.0, 4.0, 8.0, 12.0, 16.0, 24.0, 32.0],
            },
            "tie_word_embeddings": False, "attention_bias": False,
        },
    }  # fmt: skip
    if architecture not in variants:
        raise ValueError(f"unknown synthetic architecture {architecture!r}")
    return {**common, **variants[architecture]}


def _tensor_specs(config: dict[str, Any]) -> list[tuple[str, tuple[int, ...], str]]:
    """(name, shape, kind) of every tensor a checkpoint of this config holds."""
    family, model_type = _family(config["model_type"]), config["model_type"]
    hidden, inter, vocab = HIDDEN, INTERMEDIATE, int(config["vocab_size"])
    groups = int(config["num_key_value_heads"])
    dim = int(config.get("head_dim") or hidden // HEADS)
    q_rows, kv_rows = HEADS * dim, groups * dim
    specs: list[tuple[str, tuple[int, ...], str]] = [
        ("model.embed_tokens.weight", (vocab, hidden), "embed")
    ]
    for layer in range(int(config["num_hidden_layers"])):
        p = f"model.layers.{layer}."
        norms = ["input_layernorm", "post_attention_layernorm"]
        if model_type in ("gemma2", "gemma3_text"):
            norms += ["pre_feedforward_layernorm", "post_feedforward_layernorm"]
        specs += [(p + f"{name}.weight", (hidden,), "norm") for name in norms]
        if family == "phi":
            specs += [(p + "self_attn.qkv_proj.weight", (q_rows + 2 * kv_rows, hidden), "linear")]
            specs += [(p + "mlp.gate_up_proj.weight", (2 * inter, hidden), "linear")]
        else:
            for name, rows in (("q", q_rows), ("k", kv_rows), ("v", kv_rows)):
                specs += [(p + f"self_attn.{name}_proj.weight", (rows, hidden), "linear")]
                if model_type == "qwen2":
                    specs += [(p + f"self_attn.{name}_proj.bias", (rows,), "bias")]
            specs += [
                (p + f"mlp.{name}.weight", (inter, hidden), "linear")
                for name in ("gate_proj", "up_proj")
            ]
        if model_type in ("qwen3", "gemma3_text"):
            specs += [(p + f"self_attn.{name}_norm.weight", (dim,), "norm") for name in "qk"]
        specs += [(p + "self_attn.o_proj.weight", (hidden, q_rows), "linear")]
        specs += [(p + "mlp.down_proj.weight", (hidden, inter), "linear")]
    specs += [("model.norm.weight", (hidden,), "final_norm")]
    if not config.get("tie_word_embeddings", family == "gemma"):
        specs += [("lm_head.weight", (vocab, hidden), "lm_head")]
    return specs


def _init_scales(config: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """(mean, standard deviation) of each kind of tensor; a standard deviation of 0 means unit
    gain, 1 / sqrt(fan_in). Tied models get small embeddings, so the input token doesn't dominate
    the residual stream (every position would predict its own token); the final norm weight
    then brings the logits to LOGIT_STD. Gemma scales embeddings by sqrt(hidden_size) and stores
    norm weights as (scale - 1)."""
    gemma = _family(config["model_type"]) == "gemma"
    tied = config.get("tie_word_embeddings", gemma)
    embed_std = (0.08 if tied else 0.75) / (math.sqrt(HIDDEN) if gemma else 1.0)
    final_scale = LOGIT_STD / (math.sqrt(HIDDEN) * (embed_std if tied else 0.75))
    unit = 0.0 if gemma else 1.0
    return {
        "embed": (0.0, embed_std), "lm_head": (0.0, 0.75), "linear": (0.0, 0.0),
        "bias": (0.0, 0.2), "norm": (unit, 0.1),
        "final_norm": (final_scale - 1.0 + unit, 0.1 * final_scale),
    }  # fmt: skip


def _bfloat16_bits(values: np.ndarray) -> np.ndarray:
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    return ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)


def _save_bfloat16(path: Path, tensors: dict[str, np.ndarray]) -> None:
    """A safetensors file of BF16 tensors (uint16 bit patterns), which safetensors.numpy can't
    write: u64 LE header length, JSON header padded to 8 bytes, then the data."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, bits in tensors.items():
        end = offset + bits.size * 2
        header[name] = {"dtype": "BF16", "shape": list(bits.shape), "data_offsets": [offset, end]}
        offset = end
    text = json.dumps(header).encode()
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)) + text)
        for bits in tensors.values():
            out.write(bits.astype("<u2").tobytes())


def _write_weights(path: Path, arrays: dict[str, np.ndarray], dtype: str) -> dict[str, np.ndarray]:
    """Write the arrays in `dtype`; returns the stored values as float32."""
    if dtype == "BF16":
        bits = {name: _bfloat16_bits(array) for name, array in arrays.items()}
        _save_bfloat16(path, bits)
        return {name: (b.astype(np.uint32) << 16).view(np.float32) for name, b in bits.items()}
    numpy_type = {"F32": np.float32, "F16": np.float16}[dtype]
    stored = {
        name: np.ascontiguousarray(array.astype(numpy_type)) for name, array in arrays.items()
    }
    save_file(stored, str(path), metadata={"format": "pt"})
    return {name: array.astype(np.float32) for name, array in stored.items()}


def write_hf_model(
    directory: Path, architecture: str, *, dtype: str = "F32", seed: int = 0
) -> SyntheticModel:
    """Write a tiny random checkpoint of `architecture` (one of ARCHITECTURES) in `dtype`
    ("F32", "F16" or "BF16") to `directory`; returns its config and stored weights."""
    directory.mkdir(parents=True, exist_ok=True)
    config = _base_config(architecture)
    vocabulary = _vocabulary(architecture)
    tokenizer = _train_tokenizer(vocabulary)
    tokenizer.save(str(directory / "tokenizer.json"))
    ids = {token: _token_id(tokenizer, token) for token in vocabulary.specials}
    config["vocab_size"] = -(-tokenizer.get_vocab_size() // 64) * 64  # padded, as real ones are
    if architecture == "llama3":
        config["bos_token_id"] = ids["<|begin_of_text|>"]
        config["eos_token_id"] = [ids["<|end_of_text|>"], ids["<|eot_id|>"]]
    else:
        config["bos_token_id"] = ids[vocabulary.bos or vocabulary.specials[0]]
        config["eos_token_id"] = ids[vocabulary.eos]
    if _family(architecture) == "gemma":
        config["pad_token_id"] = ids["<pad>"]
    config["torch_dtype"] = {"F32": "float32", "F16": "float16", "BF16": "bfloat16"}[dtype]
    config["transformers_version"] = "4.51.0"
    (directory / "config.json").write_text(json.dumps(config, indent=2))
    _write_tokenizer_config(directory, vocabulary, ids)

    rng = np.random.default_rng(seed)
    scales = _init_scales(config)
    arrays = {}
    for name, shape, kind in _tensor_specs(config):
        mean, std = scales[kind]
        noise = rng.standard_normal(shape) * (std or 1 / math.sqrt(shape[-1]))
        arrays[name] = (mean + noise).astype(np.float32)
    weights = _write_weights(directory / "model.safetensors", arrays, dtype)
    return SyntheticModel(config=config, weights=weights)


def _write_tokenizer_config(directory: Path, vocabulary: _Vocabulary, ids: dict[str, int]) -> None:
    flags = {"special": True, "lstrip": False, "rstrip": False, "normalized": False}
    config: dict[str, Any] = {
        "add_bos_token": vocabulary.add_bos,
        "add_eos_token": False,
        "bos_token": vocabulary.bos,
        "eos_token": vocabulary.eos,
        "chat_template": CHAT_TEMPLATE,
        "clean_up_tokenization_spaces": False,
        "model_max_length": 2048,
        "tokenizer_class": "PreTrainedTokenizerFast",
        "added_tokens_decoder": {
            str(ids[token]): {"content": token, **flags} for token in vocabulary.specials
        },
    }
    if "<pad>" in ids:
        config["pad_token"] = "<pad>"
    (directory / "tokenizer_config.json").write_text(json.dumps(config, indent=2))


def prompt_ids(directory: Path, text: str) -> list[int]:
    """The token ids of `text` as the checkpoint's tokenizer gives them: bos first when
    tokenizer_config.json says add_bos_token."""
    tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
    config = json.loads((directory / "tokenizer_config.json").read_text())
    ids: list[int] = tokenizer.encode(text, add_special_tokens=False).ids
    if config.get("add_bos_token") and config.get("bos_token"):
        return [_token_id(tokenizer, config["bos_token"]), *ids]
    return ids
