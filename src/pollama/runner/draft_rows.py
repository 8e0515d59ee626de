"""A lone sequence's draft, cut so that its batch has an even number of rows.

One llama_decode of R rows of one sequence (gemma3 270M, repacked Q4_K weights, 2 threads,
AVX2; median ms of two runs):

    R     1   2   3   4   5   6   7   8   9  10  11  12  13  14  15  16  17
         12  30  37  42  62  60  75  54  71  78  76  63  80  89  92  72  85

An odd batch of 3 rows or more buys little over the even batch one row smaller (3 rows 37 ms
against 30, 5 against 4 rows 62 against 42, 17 against 16 rows 85 against 72), for a drafted
token that is accepted only sometimes. So a sequence that drafts alone (its pending token and
the draft) drafts one token less when that makes its batch even; the prompt-lookup
benchmark's copy task measured best with this rule (cutting further, to multiples of 4 rows,
halved its speed).

Rows of several sequences are not padded to an even count: one row per sequence for 1 to 4
sequences costs 12, 30, 37 and 41 ms, so an extra row never makes a step cheaper.
"""

from __future__ import annotations

SLOW_ODD_FROM = 3  # rows: 1 row alone is cheaper than 2


def even_draft(drafts: list[int]) -> list[int]:
    """A lone sequence's draft, one token shorter when its batch (the pending token and the
    draft) would have an odd number of rows, 3 or more."""
    rows = 1 + len(drafts)
    if rows >= SLOW_ODD_FROM and rows % 2 == 1:
        return drafts[:-1]
    return drafts
