"""A lone sequence's draft fills whole 4-row tiles (draft_rows.py)."""

from __future__ import annotations

from pollama.runner.draft_rows import whole_tiles


def test_short_drafts_are_left_alone() -> None:
    for size in range(4):  # 1 to 4 rows: every row costs, none is wasted
        assert whole_tiles(list(range(size))) == list(range(size))


def test_a_longer_draft_is_cut_to_a_multiple_of_four_rows() -> None:
    assert whole_tiles([1, 2, 3, 4]) == [1, 2, 3]  # 5 rows -> 4
    assert whole_tiles(list(range(6))) == list(range(3))  # 7 rows -> 4
    assert whole_tiles(list(range(7))) == list(range(7))  # 8 rows
    assert len(whole_tiles(list(range(16)))) == 15  # the default 16: 17 rows -> 16
