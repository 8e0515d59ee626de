"""A lone sequence's draft makes an even batch (draft_rows.py)."""

from __future__ import annotations

from pollama.runner.draft_rows import even_draft


def test_a_lone_draft_is_cut_to_an_even_batch() -> None:
    assert even_draft([]) == [] and even_draft([5]) == [5]  # 1 and 2 rows
    assert even_draft([5, 6]) == [5]  # 3 rows -> 2
    assert even_draft([1, 2, 3, 4]) == [1, 2, 3]  # 5 rows -> 4
    assert even_draft(list(range(5))) == list(range(5))  # 6 rows
    assert len(even_draft(list(range(16)))) == 15  # the default 16: 17 rows -> 16
