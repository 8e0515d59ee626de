"""Per-sequence sampling: a llama.cpp sampler chain honouring a request's options.

Order as llama-server (what Ollama uses): penalties, top_k, typical, top_p, min_p,
temperature, dist (seeded); temperature 0 means greedy. A GBNF grammar is checked against
the sampled token first; when that token is rejected the grammar masks the likeliest
`GRAMMAR_SHORTLIST` candidates, and the whole vocabulary only if none of those is allowed.
Masking 262k candidates costs ~70 ms with a JSON grammar and seconds with a grammar that
accepts free text (a thinking section); checking one token costs almost nothing.
"""

from __future__ import annotations

import ctypes
import math
from typing import Any

import llama_cpp as llama
import numpy as np

from pollama.errors import BadRequest
from pollama.runner.model import Model
from pollama.runner.request_options import RequestOptions
from pollama.runner.types import TokenLogprob, TopLogprob

GRAMMAR_SHORTLIST = 1024
_TOKEN_DATA = np.dtype([("id", np.int32), ("logit", np.float32), ("p", np.float32)])
assert _TOKEN_DATA.itemsize == ctypes.sizeof(llama.llama_token_data)


def _seed(seed: int) -> int:
    return llama.LLAMA_DEFAULT_SEED if seed < 0 else seed & 0xFFFFFFFF


class Sampler:
    """Owns its llama.cpp samplers; call `free()` when the sequence ends."""

    def __init__(
        self, model: Model, options: RequestOptions, grammar: str | None, num_ctx: int
    ) -> None:
        self._model = model
        self._grammar: Any = None
        if grammar:
            self._grammar = llama.llama_sampler_init_grammar(
                model.vocab, grammar.encode("utf-8"), b"root"
            )
            if not self._grammar:
                raise BadRequest("invalid grammar: the GBNF could not be parsed")
        # Plain greedy needs no chain at all: an argmax over the logits is 8x cheaper.
        self._argmax_only = options.greedy and not options.penalties_active and not grammar
        self._chain: Any = None if self._argmax_only else self._build_chain(options, num_ctx)
        self._candidates: np.ndarray | None = None

    def _build_chain(self, options: RequestOptions, num_ctx: int) -> Any:
        chain = llama.llama_sampler_chain_init(llama.llama_sampler_chain_default_params())

        def add(sampler: Any) -> None:
            llama.llama_sampler_chain_add(chain, sampler)

        if options.penalties_active:
            add(
                llama.llama_sampler_init_penalties(
                    self._model.n_vocab,
                    options.penalty_window(num_ctx),
                    options.repeat_penalty,
                    options.frequency_penalty,
                    options.presence_penalty,
                )
            )
        if options.greedy:
            add(llama.llama_sampler_init_greedy())
            return chain
        if options.top_k > 0:
            add(llama.llama_sampler_init_top_k(options.top_k))
        if options.typical_p < 1.0:
            add(llama.llama_sampler_init_typical(options.typical_p, 1))
        if options.top_p < 1.0:
            add(llama.llama_sampler_init_top_p(options.top_p, 1))
        if options.min_p > 0.0:
            add(llama.llama_sampler_init_min_p(options.min_p, 1))
        add(llama.llama_sampler_init_temp(options.temperature))
        add(llama.llama_sampler_init_dist(_seed(options.seed)))
        return chain

    def sample(self, ctx: Any, index: int) -> int:
        """Choose the next token from the logits at batch position `index`, and accept it."""
        if self._argmax_only:
            return int(self._logits(ctx, index).argmax())
        if self._grammar is None:
            return int(llama.llama_sampler_sample(self._chain, ctx, index))
        logits = self._logits(ctx, index)
        token = self._apply(self._chain, None, logits)
        assert token is not None
        if not self._grammar_allows(token):
            shortlist = np.argpartition(-logits, GRAMMAR_SHORTLIST)[:GRAMMAR_SHORTLIST]
            chosen = self._apply(self._grammar, self._chain, logits, shortlist)
            if chosen is None:
                chosen = self._apply(self._grammar, self._chain, logits)
            token = chosen if chosen is not None else token
        llama.llama_sampler_accept(self._grammar, token)
        llama.llama_sampler_accept(self._chain, token)
        return token

    def _logits(self, ctx: Any, index: int) -> np.ndarray:
        pointer = llama.llama_get_logits_ith(ctx, index)
        return np.ctypeslib.as_array(pointer, shape=(self._model.n_vocab,))

    def _apply(
        self, first: Any, second: Any, logits: np.ndarray, ids: np.ndarray | None = None
    ) -> int | None:
        """Run samplers over the candidates `ids` (default: all); return the token the last one
        selects, or None when the first one (a grammar) rejected them all."""
        size = len(logits) if ids is None else len(ids)
        if self._candidates is None:
            self._candidates = np.zeros(len(logits), dtype=_TOKEN_DATA)
        candidates = self._candidates[:size]
        candidates["id"] = np.arange(size, dtype=np.int32) if ids is None else ids
        candidates["logit"] = logits if ids is None else logits[ids]
        candidates["p"] = 0.0
        array = llama.llama_token_data_array(
            data=candidates.ctypes.data_as(llama.llama_token_data_p),
            size=size,
            selected=-1,
            sorted=False,
        )
        llama.llama_sampler_apply(first, ctypes.byref(array))
        if ids is not None and not np.isfinite(candidates["logit"]).any():
            return None
        if second is not None:
            llama.llama_sampler_apply(second, ctypes.byref(array))
        return int(array.data[array.selected].id)

    def _grammar_allows(self, token: int) -> bool:
        single = (llama.llama_token_data * 1)(llama.llama_token_data(token, 1.0, 0.0))
        array = llama.llama_token_data_array(data=single, size=1, selected=-1, sorted=False)
        llama.llama_sampler_apply(self._grammar, ctypes.byref(array))
        return math.isfinite(single[0].logit)

    def logprob(self, ctx: Any, index: int, token: int, top: int) -> TokenLogprob:
        """Log-probability of `token` (and the `top` likeliest) under the raw logits."""
        logits = self._logits(ctx, index).astype(np.float64)
        peak = logits.max()
        log_total = peak + math.log(float(np.exp(logits - peak).sum()))
        tops: list[TopLogprob] = []
        if top > 0:
            best = np.argpartition(-logits, top)[:top]
            for candidate in best[np.argsort(-logits[best])]:
                piece = self._model.piece(int(candidate))
                tops.append(
                    TopLogprob(
                        token=piece.decode("utf-8", errors="replace"),
                        logprob=float(logits[candidate] - log_total),
                        bytes=list(piece),
                    )
                )
        piece = self._model.piece(token)
        return TokenLogprob(
            token=piece.decode("utf-8", errors="replace"),
            logprob=float(logits[token] - log_total),
            bytes=list(piece),
            top_logprobs=tops,
        )

    def free(self) -> None:
        for sampler in (self._chain, self._grammar):
            if sampler is not None:
                llama.llama_sampler_free(sampler)
        self._chain = self._grammar = None
