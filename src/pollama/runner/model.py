"""One GGUF loaded with llama.cpp's low-level API: the model, its vocabulary, its contexts.

Runner-side only (imports llama_cpp). Contexts are made here but used by one thread each.
"""

from __future__ import annotations

import ctypes
import sys
from pathlib import Path
from typing import Any

import llama_cpp as llama

from pollama.errors import BadRequest, PollamaError
from pollama.runner.types import RunnerSpec

_KV_TYPES = {"f16": llama.GGML_TYPE_F16, "q8_0": llama.GGML_TYPE_Q8_0, "q4_0": llama.GGML_TYPE_Q4_0}
_FLASH_ATTENTION = {
    "auto": llama.LLAMA_FLASH_ATTN_TYPE_AUTO,
    "on": llama.LLAMA_FLASH_ATTN_TYPE_ENABLED,
    "off": llama.LLAMA_FLASH_ATTN_TYPE_DISABLED,
}
_LOG_LEVEL_ERROR = 4
_LOG_LEVEL_CONT = 5

# The callback must outlive every llama.cpp call, so it lives at module level.
_log_state = {"debug": False, "last_level": 0}


@llama.llama_log_callback
def _log_to_stderr(level: int, text: bytes, _user_data: Any) -> None:
    # Quiet unless debugging, but errors always reach stderr: the client quotes its last
    # lines when the runner fails to load or dies.
    if level != _LOG_LEVEL_CONT:
        _log_state["last_level"] = level
    if _log_state["debug"] or _log_state["last_level"] >= _LOG_LEVEL_ERROR:
        sys.stderr.write(text.decode("utf-8", errors="replace"))
        sys.stderr.flush()


def repacking_is_safe(system_info: str | None = None) -> bool:
    """Whether llama.cpp's repacked weights (its extra CPU buffer types) may be used, from
    `llama_print_system_info()` (this build's own, read after backend init, when not given).
    A build with AMX kernels puts the weights into its AMX buffer first, and that path
    crashes (SIGSEGV in ggml_backend_amx_mul_mat on any batch of 2 rows or more, gemma3 270M
    on a Sapphire Rapids-class Xeon; llama.cpp issue 20824, llama-server crashes the same
    way): such a build keeps the plain layout."""
    if system_info is None:
        llama.llama_backend_init()
        system_info = llama.llama_print_system_info().decode(errors="replace")
    return "AMX_INT8 = 1" not in system_info


def configure_logging(debug: bool) -> None:
    _log_state["debug"] = debug
    llama.llama_log_set(_log_to_stderr, None)


class Model:
    """The loaded weights and vocabulary; thread-safe for tokenizing, not for decoding."""

    def __init__(self, spec: RunnerSpec) -> None:
        self.spec = spec
        llama.llama_backend_init()
        params = llama.llama_model_default_params()
        params.n_gpu_layers = spec.num_gpu if spec.num_gpu >= 0 else 999
        params.use_extra_bufts = spec.repack_weights and repacking_is_safe()
        params.load_mode = (
            llama.LLAMA_LOAD_MODE_MMAP if spec.use_mmap else llama.LLAMA_LOAD_MODE_NONE
        )
        path = Path(spec.model_path)
        if not path.is_file():
            raise PollamaError(f"model file not found: {path}")
        self.ptr = llama.llama_model_load_from_file(str(path).encode(), params)
        if not self.ptr:
            raise PollamaError(f"unable to load model: {path}")
        self.vocab = llama.llama_model_get_vocab(self.ptr)
        self.n_vocab: int = llama.llama_vocab_n_tokens(self.vocab)
        self.n_embd: int = llama.llama_model_n_embd(self.ptr)
        self.n_ctx_train: int = llama.llama_model_n_ctx_train(self.ptr)
        self.adds_bos: bool = bool(llama.llama_vocab_get_add_bos(self.vocab))
        architecture = self.metadata("general.architecture") or ""
        # Embedding models name their pooling; generative ones (gemma3) do not: mean-pool.
        self.names_pooling = self.metadata(f"{architecture}.pooling_type") is not None
        self._piece_buffer = ctypes.create_string_buffer(256)

    def new_context(
        self, *, n_ctx: int, n_seq: int, n_batch: int, embeddings: bool, extra_outputs: int = 0
    ) -> Any:
        spec = self.spec
        params = llama.llama_context_default_params()
        params.n_ctx = n_ctx
        params.n_batch = n_batch
        params.n_ubatch = n_batch
        params.n_seq_max = n_seq
        params.n_threads = spec.threads
        params.n_threads_batch = spec.threads
        params.type_k = _KV_TYPES[spec.kv_cache_type]
        params.type_v = _KV_TYPES[spec.kv_cache_type]
        params.flash_attn_type = _FLASH_ATTENTION[spec.flash_attention]
        params.swa_full = spec.swa_full
        # One KV stream per sequence: its cells stay in position order whatever the others
        # do, which keeps results independent of batching (see engine.py).
        params.kv_unified = False
        params.no_perf = True
        if embeddings:
            params.embeddings = True
            params.pooling_type = (
                llama.LLAMA_POOLING_TYPE_UNSPECIFIED
                if self.names_pooling
                else llama.LLAMA_POOLING_TYPE_MEAN
            )
        else:
            # One token per sequence asks for logits in a step, plus the drafted rows being
            # verified (`extra_outputs`): reserving room for n_batch rows of logits (1 MiB
            # each with a 262k vocabulary) would waste memory.
            params.n_outputs_max = n_seq + extra_outputs
        ctx = llama.llama_init_from_model(self.ptr, params)
        if not ctx:
            raise PollamaError("unable to create a llama.cpp context (out of memory?)")
        return ctx

    def metadata(self, key: str) -> str | None:
        """A GGUF metadata value as text, or None when the model does not have the key."""
        buffer = ctypes.create_string_buffer(256)
        size = llama.llama_model_meta_val_str(self.ptr, key.encode(), buffer, len(buffer))
        if size < 0:
            return None
        return buffer.value.decode("utf-8", errors="replace")

    def tokenize(self, text: str, add_special: bool = True) -> list[int]:
        data = text.encode("utf-8")
        capacity = len(data) + 8
        tokens = (llama.llama_token * capacity)()
        count = llama.llama_tokenize(
            self.vocab, data, len(data), tokens, capacity, add_special, True
        )
        if count < 0:  # buffer too small: retry with the size llama.cpp asked for
            capacity = -count
            tokens = (llama.llama_token * capacity)()
            count = llama.llama_tokenize(
                self.vocab, data, len(data), tokens, capacity, add_special, True
            )
        return list(tokens[:count])

    def detokenize(self, tokens: list[int]) -> str:
        """The text of `tokens`, control tokens spelled out (`<start_of_turn>`): tokenizing
        it again (special tokens parsed) gives them back."""
        self.check_tokens(tokens)
        array = (llama.llama_token * max(len(tokens), 1))(*tokens)
        capacity = 16 * len(tokens) + 16
        text = ctypes.create_string_buffer(capacity)
        size = llama.llama_detokenize(self.vocab, array, len(tokens), text, capacity, False, True)
        if size < 0:
            capacity = -size
            text = ctypes.create_string_buffer(capacity)
            size = llama.llama_detokenize(
                self.vocab, array, len(tokens), text, capacity, False, True
            )
        return text.raw[:size].decode("utf-8", errors="replace")

    def piece(self, token: int) -> bytes:
        """The bytes a generated token stands for. Control tokens render as their text (as in
        Ollama's runner), so stop strings such as `<start_of_turn>` can match them."""
        buffer = self._piece_buffer
        size = llama.llama_token_to_piece(self.vocab, token, buffer, len(buffer), 0, True)
        if size < 0:
            buffer = ctypes.create_string_buffer(-size)
            size = llama.llama_token_to_piece(self.vocab, token, buffer, len(buffer), 0, True)
        return buffer.raw[:size]

    def is_end_of_generation(self, token: int) -> bool:
        return bool(llama.llama_vocab_is_eog(self.vocab, token))

    def check_tokens(self, tokens: list[int]) -> None:
        bad = [t for t in tokens if not 0 <= t < self.n_vocab]
        if bad:
            raise BadRequest(f"invalid token id {bad[0]} (vocabulary has {self.n_vocab} tokens)")
