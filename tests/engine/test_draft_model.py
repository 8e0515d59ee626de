"""The DRAFT model in the runner process: gemma3 270M drafting for itself proposes exactly its
own greedy continuation, whatever its cache held before, per sequence; a draft over another
vocabulary is refused with a 400 that names the difference."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import llama_cpp as llama
import numpy as np
import pytest
from gguf import GGUFWriter

from pollama.errors import PollamaError
from pollama.runner.batch import TokenBatch
from pollama.runner.draft_model import DraftModel
from pollama.runner.model import Model, configure_logging
from pollama.runner.types import RunnerSpec
from tests.engine.harness import TURN
from tests.fixtures.models import gemma_gguf_path

pytestmark = pytest.mark.engine

NUM_CTX = 512
LIMIT = 6


def runner_spec() -> RunnerSpec:
    # Flash attention off: with it on, llama.cpp's CPU attention gives a token decoded alone
    # other logits than the same token decoded among others (differences of ~0.1), so a greedy
    # run could depend on how its tokens were batched; with it off, batching changes no bit.
    return RunnerSpec(
        model_path=gemma_gguf_path(),
        num_ctx=NUM_CTX,
        num_parallel=2,
        num_thread=2,
        flash_attention="off",
    )


class Reference:
    """The target decoding greedily on its own: one sequence, a token at a time."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self.ctx = model.new_context(n_ctx=NUM_CTX, n_seq=1, n_batch=512, embeddings=False)
        self.batch = TokenBatch(512)

    def greedy(self, context: list[int], count: int) -> list[int]:
        """`count` argmax tokens after `context`, cut after an end of generation."""
        return self.greedy_with_margins(context, count)[0]

    def greedy_with_margins(self, context: list[int], count: int) -> tuple[list[int], list[float]]:
        """The greedy tokens and, for each, how far its logit is ahead of the runner-up."""
        llama.llama_memory_clear(llama.llama_get_memory(self.ctx), True)
        self.batch.clear()
        row = self.batch.add_many(context, 0, 0, logits_last=True)
        tokens: list[int] = []
        margins: list[float] = []
        while True:
            assert self.batch.decode(self.ctx) == 0
            logits = llama.llama_get_logits_ith(self.ctx, row)
            values = np.ctypeslib.as_array(logits, shape=(self.model.n_vocab,))
            token = int(values.argmax())
            runner_up = np.partition(values, -2)[-2]
            tokens.append(token)
            margins.append(float(values[token] - runner_up))
            if len(tokens) == count or self.model.is_end_of_generation(token):
                return tokens, margins
            self.batch.clear()
            row = self.batch.add(token, len(context) + len(tokens) - 1, 0, True)

    def close(self) -> None:
        self.batch.free()
        llama.llama_free(self.ctx)


@pytest.fixture(scope="module")
def target() -> Iterator[Model]:
    configure_logging(False)
    model = Model(runner_spec())
    yield model
    llama.llama_model_free(model.ptr)


@pytest.fixture(scope="module")
def reference(target: Model) -> Iterator[Reference]:
    ref = Reference(target)
    yield ref
    ref.close()


@pytest.fixture(scope="module")
def draft(target: Model) -> Iterator[DraftModel]:
    model = DraftModel(target.spec.model_path, target.spec, target)
    yield model
    model.close()
    model.close()  # closing twice is harmless


def prompt(target: Model, text: str) -> list[int]:
    return target.tokenize(TURN.format(text))


def test_proposals_are_the_targets_greedy_continuation(
    target: Model, reference: Reference, draft: DraftModel
) -> None:
    context = prompt(target, "Count from one to ten.")
    expected = reference.greedy(context, LIMIT)
    assert draft.propose(0, context, LIMIT) == expected
    # Continued by what the target accepted: only the new tokens are decoded.
    longer = context + expected[:4]
    assert draft.propose(0, longer, LIMIT) == reference.greedy(longer, LIMIT)


# Logits of the same tokens decoded in batches of other sizes differ in their last bits (a
# batch of 8 rows or more takes other CPU kernels): where the two likeliest tokens are this
# close, the draft, which decodes its context in other batches than the reference, may
# legitimately pick the other one, and the continuations part there.
NEAR_TIE = 0.1


def assert_same_continuation(proposed: list[int], reference: Reference, context: list[int]) -> None:
    expected, margins = reference.greedy_with_margins(context, len(proposed))
    for i, (got, wanted) in enumerate(zip(proposed, expected, strict=False)):
        if got != wanted:
            assert margins[i] < NEAR_TIE, (i, proposed, expected, margins)
            return
    assert len(proposed) == len(expected)


def test_catch_up_after_the_context_is_cut_back(
    target: Model, reference: Reference, draft: DraftModel
) -> None:
    context = prompt(target, "Name three colors.")
    first = draft.propose(0, context, LIMIT)
    assert first == reference.greedy(context, LIMIT)
    # The target rejected the third proposal and sampled another token instead.
    other = target.tokenize(" Purple", add_special=False)[0]
    rejected = context + first[:2] + [other]
    assert_same_continuation(draft.propose(0, rejected, LIMIT), reference, rejected)
    # A shorter context than the cache holds, then another continuation of it.
    shorter = context[:-3]
    assert_same_continuation(draft.propose(0, shorter, 3), reference, shorter)
    changed = context[:-3] + target.tokenize(" hello", add_special=False)
    assert_same_continuation(draft.propose(0, changed, 3), reference, changed)


def test_sequences_are_independent(target: Model, reference: Reference, draft: DraftModel) -> None:
    sea = prompt(target, "Write a poem about the sea.")
    math = prompt(target, "What is two plus two?")
    expected_sea = reference.greedy(sea, LIMIT)
    expected_math = reference.greedy(math, LIMIT)
    assert draft.propose(0, sea, LIMIT) == expected_sea
    assert draft.propose(1, math, LIMIT) == expected_math
    # Both at once, one decode per drafting step, each after its own cache.
    longer_sea = sea + expected_sea[:2]
    proposals = draft.propose_many([(1, math + expected_math[:1], 3), (0, longer_sea, 3)])
    assert proposals == [
        reference.greedy(math + expected_math[:1], 3),
        reference.greedy(longer_sea, 3),
    ]


def test_drafting_stops_at_an_end_of_generation(
    target: Model, reference: Reference, draft: DraftModel, monkeypatch: pytest.MonkeyPatch
) -> None:
    # This model hardly ever ends a turn on its own: make its third token here the end.
    context = prompt(target, "Count from one to ten.")
    expected = reference.greedy(context, LIMIT)
    assert expected[2] not in expected[:2]
    monkeypatch.setattr(draft.model, "is_end_of_generation", lambda token: token == expected[2])
    assert draft.propose(1, context, LIMIT) == expected[:3]


def test_no_proposals_where_none_can_be_made(target: Model, draft: DraftModel) -> None:
    context = prompt(target, "Hello.")
    assert draft.propose(0, context, 0) == []
    assert draft.propose(0, [], LIMIT) == []
    assert draft.propose(0, [*context, -1, -1], LIMIT) == []  # image positions
    assert draft.propose(0, [*context, target.n_vocab], LIMIT) == []
    # The target needs room for every draft: none past num_ctx.
    assert draft.propose(1, context * (NUM_CTX // len(context) + 1), LIMIT) == []
    with pytest.raises(ValueError, match="distinct sequence ids"):
        draft.propose_many([(0, context, 1), (0, context, 1)])


def test_a_draft_with_another_vocabulary_is_refused(tmp_path: Path, target: Model) -> None:
    tiny = _write_tiny_llama(tmp_path / "tiny-draft.gguf", n_vocab=64)
    with pytest.raises(PollamaError) as refused:
        DraftModel(tiny, target.spec, target)
    assert refused.value.status == 400
    assert refused.value.message == (
        f"draft model tiny-draft.gguf: vocabulary of 64 tokens, the model has {target.n_vocab}"
    )


def _write_tiny_llama(path: Path, n_vocab: int) -> Path:
    """A one-block llama llama.cpp can load, over an SentencePiece vocabulary of `n_vocab`
    made-up tokens with gemma's BOS and EOS ids (so that the sizes are what differs)."""
    embd, ff = 16, 32
    writer = GGUFWriter(path, "llama")
    writer.add_context_length(256)
    writer.add_embedding_length(embd)
    writer.add_block_count(1)
    writer.add_feed_forward_length(ff)
    writer.add_head_count(2)
    writer.add_head_count_kv(2)
    writer.add_layer_norm_rms_eps(1e-5)
    writer.add_tokenizer_model("llama")
    writer.add_token_list(["<pad>", "<eos>", "<bos>"] + [f"w{i}" for i in range(n_vocab - 3)])
    writer.add_token_scores([0.0] * n_vocab)
    writer.add_token_types([3, 3, 3] + [1] * (n_vocab - 3))
    writer.add_bos_token_id(2)
    writer.add_eos_token_id(1)
    rng = np.random.default_rng(0)
    shapes = {
        "token_embd.weight": (n_vocab, embd),
        "output_norm.weight": (embd,),
        "blk.0.attn_norm.weight": (embd,),
        "blk.0.ffn_norm.weight": (embd,),
        "blk.0.attn_q.weight": (embd, embd),
        "blk.0.attn_k.weight": (embd, embd),
        "blk.0.attn_v.weight": (embd, embd),
        "blk.0.attn_output.weight": (embd, embd),
        "blk.0.ffn_gate.weight": (ff, embd),
        "blk.0.ffn_up.weight": (ff, embd),
        "blk.0.ffn_down.weight": (embd, ff),
    }
    for name, shape in shapes.items():
        writer.add_tensor(name, (rng.standard_normal(shape) * 0.1).astype(np.float32))
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    return path
