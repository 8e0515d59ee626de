"""Slot choice by longest common prefix: pure, no model."""

from __future__ import annotations

from pollama.runner.slots import Slot, choose_slot, common_prefix_length, reusable_length


def test_common_prefix_and_reusable_length_keeps_one_token_to_evaluate() -> None:
    assert common_prefix_length([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix_length([], [1]) == 0
    assert reusable_length([1, 2, 3], [1, 2, 3]) == 2  # the last token is evaluated again
    assert reusable_length([1, 2, 3, 4], [1, 2]) == 1


def test_longest_prefix_wins() -> None:
    slots = [Slot(0, [1, 2, 9]), Slot(1, [1, 2, 3, 4, 5]), Slot(2, [7])]
    slot, keep = choose_slot(slots, [1, 2, 3, 4, 6, 7]) or (None, 0)
    assert slot is slots[1] and keep == 4


def test_busy_slots_are_never_chosen_and_none_free_gives_none() -> None:
    slots = [Slot(0, [1, 2, 3], busy=True), Slot(1, [])]
    assert choose_slot(slots, [1, 2, 3, 4]) == (slots[1], 0)
    slots[1].busy = True
    assert choose_slot(slots, [1]) is None


def test_template_header_alone_does_not_steal_a_conversation() -> None:
    header = [2, 105, 2364, 107]
    conversation = header + list(range(1000, 1600))
    slots = [Slot(0, conversation, last_used=5), Slot(1, [])]
    new_prompt = header + list(range(5000, 5600))
    assert choose_slot(slots, new_prompt) == (slots[1], 0)


def test_reuse_that_would_evict_more_than_it_saves_prefers_an_empty_slot() -> None:
    system = list(range(100))
    slots = [Slot(0, system + list(range(1000, 1500))), Slot(1, [])]
    assert choose_slot(slots, system + [7, 8, 9]) == (slots[1], 0)


def test_without_an_empty_slot_shared_prefix_is_still_reused() -> None:
    system = list(range(100))
    slots = [Slot(0, system + list(range(1000, 1500)), last_used=2), Slot(1, [9], last_used=1)]
    assert choose_slot(slots, system + [7, 8, 9]) == (slots[0], 100)


def test_continuing_conversation_reuses_its_slot() -> None:
    turn1 = list(range(700))
    slots = [Slot(0, turn1, last_used=1), Slot(1, [], last_used=0)]
    slot, keep = choose_slot(slots, turn1 + [5, 6, 7]) or (None, 0)
    assert slot is slots[0] and keep == 700


def test_cold_prompt_takes_least_recently_used_when_no_slot_is_empty() -> None:
    slots = [Slot(0, [5, 6], last_used=3), Slot(1, [7, 8], last_used=1), Slot(2, [9], last_used=2)]
    assert choose_slot(slots, [1, 2, 3]) == (slots[1], 0)
