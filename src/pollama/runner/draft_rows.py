"""A lone sequence's draft, cut so that its batch has an even number of rows.

One llama_decode of R rows of one sequence (gemma3 270M, repacked Q4_K weights, 2 threads,
AVX2; median ms of two runs):

    R     1   2   3   4   5   6   7   8   9  10  11  12  13  14  15  16  17
         12  30  37  42  62  60  75  54  71  78  76  63  80  89  92  72  85

An odd batch past 4 rows costs about as much as the even batch one row larger or more (the
matrix products take a slower path for the odd row), for a drafted token that is accepted only
sometimes. So a sequence that drafts alone (its pending token and the draft) drafts one token
less when that makes its batch even; the prompt-lookup benchmark's copy task measured best with
this rule (cutting further, to multiples of 4 rows, halved its speed).

Rows of several sequences are not padded to an even count: one row per sequence for 1 to 4
sequences costs 12, 30, 37 and 41 ms, so an extra row never makes a step cheaper.
"""

from __future__ import annotations

ODD_AND_SLOW_FROM = 3  # 1 row alone is cheaper than 2


def even_draft(drafts: list[int]) -> list[int]:
    """A lone sequence's draft, one token shorter when its batch (the pending token and the
    draft) would have an odd number of rows, 3 or more."""
    if len(drafts) >= ODD_AND_SLOW_FROM - 1 and (1 + len(drafts)) % 2 == 1:
        return drafts[:-1]
    return drafts
