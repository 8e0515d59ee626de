"""A lone sequence's draft, cut so that its batch fills whole 4-row tiles.

llama.cpp's CPU matrix products (repacked Q4_K weights, AVX2) work on tiles of 4 rows. One
llama_decode of R rows of one sequence (gemma3 270M, 2 threads; median ms, two runs):

    R     1   2   3   4   5   6   7   8   9  10  11  12  13  14  15  16  17
         12  30  37  42  62  60  75  54  71  78  76  63  80  89  92  72  85

A batch just past a multiple of 4 pays for a whole tile more, for tokens that are accepted only
sometimes: so a sequence that drafts alone (its pending token and the draft, 5 rows or more)
drafts down to a multiple of 4 rows. Up to 4 rows the cost grows with every row, so short
drafts are left alone.

Rows of several sequences are not padded: one row per sequence for 1 to 4 sequences costs 12,
30, 37 and 41 ms, the same as one sequence's rows, so an extra row never makes a step cheaper.
"""

from __future__ import annotations

TILE = 4


def whole_tiles(drafts: list[int]) -> list[int]:
    """A lone sequence's draft, shortened so that its batch (the pending token and the draft)
    is a multiple of TILE rows when it is longer than one tile."""
    rows = 1 + len(drafts)
    if rows <= TILE:
        return drafts
    return drafts[: rows // TILE * TILE - 1]
