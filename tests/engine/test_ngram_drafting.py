"""Prompt lookup drafting (pure Python, no model): which earlier occurrence it copies from, how
much, and that its index stays cheap and correct as a context grows or changes."""

from __future__ import annotations

import random
import time

import pytest

from pollama.runner.ngram import NgramDrafter, NgramIndex


def test_copies_what_followed_the_suffix_earlier() -> None:
    context = [1, 2, 3, 4, 5, 6, 9, 1, 2, 3]
    assert NgramDrafter().propose(context, 3) == [4, 5, 6]


def test_no_earlier_occurrence_proposes_nothing() -> None:
    assert NgramDrafter().propose([1, 2, 3, 4, 5, 6], 4) == []
    assert NgramDrafter().propose([], 4) == []
    assert NgramDrafter().propose([7], 4) == []


def test_a_single_matching_token_is_not_enough() -> None:
    # Only the last token (3) occurred before: min_ngram is 2.
    assert NgramDrafter().propose([3, 8, 9, 3], 4) == []
    assert NgramDrafter(min_ngram=1).propose([3, 8, 9, 3], 2) == [8, 9]


def test_longest_suffix_wins() -> None:
    # [2, 3] last occurred before [5]; the longer [1, 2, 3] occurred before [4].
    context = [1, 2, 3, 4, 0, 2, 3, 5, 0, 1, 2, 3]
    assert NgramDrafter().propose(context, 1) == [4]
    assert NgramDrafter(max_ngram=2).propose(context, 1) == [5]


def test_most_recent_occurrence_wins() -> None:
    context = [1, 2, 7, 3, 1, 2, 8, 4, 1, 2]
    assert NgramDrafter().propose(context, 2) == [8, 4]


def test_limit_and_end_of_context_bound_the_proposal() -> None:
    context = [1, 2, 3, 4, 5, 1, 2]
    drafter = NgramDrafter()
    assert drafter.propose(context, 2) == [3, 4]
    assert drafter.propose(context, 0) == []
    # The occurrence right before the suffix: only the tokens up to the end are known.
    assert NgramDrafter().propose([5, 1, 2, 1, 2], 8) == [1, 2]


def test_negative_ids_never_match_nor_get_proposed() -> None:
    assert NgramDrafter().propose([-1, -1, 4, -1, -1], 4) == []
    assert NgramDrafter().propose([1, -1, 6, 1, -1], 4) == []
    # [1, 2] matches; what followed it stops before the image position.
    assert NgramDrafter().propose([1, 2, 3, -5, 4, 1, 2], 4) == [3]
    # A 4-gram spanning the image position is never indexed; the 2-gram after it is.
    assert NgramDrafter().propose([9, -1, 1, 2, 6, 9, -1, 1, 2], 1) == [6]


def test_incremental_extension_equals_a_fresh_index() -> None:
    rng = random.Random(7)
    context = [rng.randrange(6) for _ in range(400)]
    growing = NgramDrafter()
    for end in range(1, len(context) + 1, 3):
        prefix = context[:end]
        assert growing.propose(prefix, 5) == NgramDrafter().propose(prefix, 5), end
        assert growing.index.length == end


def test_a_context_that_is_not_an_extension_is_indexed_again() -> None:
    drafter = NgramDrafter()
    assert drafter.propose([1, 2, 3, 4, 1, 2], 2) == [3, 4]
    # Cut back and continued differently: [1, 2] was last followed by 9, not by 3.
    assert drafter.propose([1, 2, 9, 1, 2], 2) == [9, 1]
    # Shorter than what was indexed.
    assert drafter.propose([5, 6, 5], 2) == []
    assert drafter.index.length == 3


def test_index_rejects_impossible_lengths() -> None:
    with pytest.raises(ValueError):
        NgramIndex(min_ngram=0)
    with pytest.raises(ValueError):
        NgramIndex(min_ngram=4, max_ngram=3)


def test_a_long_context_stays_cheap() -> None:
    # 32k tokens of a copy-heavy shape: a random text, then most of it again, token by token.
    # Cheap means incremental: the growing context is never indexed again from scratch (the
    # rate is printed, not asserted: timings belong to benchmarks).
    rng = random.Random(3)
    text = [rng.randrange(5000) for _ in range(16384)]
    context = list(text)
    drafter = NgramDrafter()
    started = time.perf_counter()
    drafter.propose(context, 8)
    indexing = time.perf_counter() - started
    resets = 0
    original_reset = drafter.index.reset

    def counted_reset() -> None:
        nonlocal resets
        resets += 1
        original_reset()

    drafter.index.reset = counted_reset  # type: ignore[method-assign]
    hits = 0
    started = time.perf_counter()
    for token in text[:16000]:
        context.append(token)
        hits += drafter.propose(context, 8) == text[len(context) - 16384 :][:8]
    elapsed = time.perf_counter() - started
    print(f"\nindexing 16k tokens: {indexing * 1000:.1f} ms; {16000 / elapsed:,.0f} calls/s")
    assert hits == 16000 - 1  # all but the first: its suffix spans the seam
    assert resets == 0 and drafter.index.length == len(context)
