"""Slot choice by longest exact common prefix: pure, no model."""

from __future__ import annotations

from pollama.runner.slots import Slot, choose_slot, common_prefix_length, reusable_length


def cached(seq_id: int, tokens: list[int], last_used: int = 0, exact: int | None = None) -> Slot:
    """A slot whose tokens all came from whole aligned prompt chunks (unless `exact`)."""
    return Slot(
        seq_id, list(tokens), exact=len(tokens) if exact is None else exact, last_used=last_used
    )


def test_common_prefix_length() -> None:
    assert common_prefix_length([1, 2, 3], [1, 2, 4]) == 2
    assert common_prefix_length([], [1]) == 0


def test_reuse_is_whole_chunks_of_the_exact_part_and_leaves_a_token() -> None:
    slot = cached(0, list(range(10)), exact=8)
    assert reusable_length(slot, list(range(10)), granularity=1) == 8  # only the exact part
    assert reusable_length(slot, list(range(10)), granularity=4) == 8
    assert reusable_length(slot, [0, 1, 2, 3, 4, 5, 6, 99], granularity=4) == 4  # whole chunks
    full = cached(1, list(range(8)))
    assert reusable_length(full, list(range(8)), granularity=4) == 4  # one token must be evaluated
    assert reusable_length(full, list(range(8)), granularity=1) == 7


def test_longest_prefix_wins() -> None:
    slots = [cached(0, [1, 2, 9]), cached(1, [1, 2, 3, 4, 5]), cached(2, [7])]
    assert choose_slot(slots, [1, 2, 3, 4, 6, 7], granularity=1) == (slots[1], 4)


def test_busy_slots_are_never_chosen_and_none_free_gives_none() -> None:
    slots = [cached(0, [1, 2, 3]), Slot(1)]
    slots[0].busy = True
    assert choose_slot(slots, [1, 2, 3, 4], granularity=1) == (slots[1], 0)
    slots[1].busy = True
    assert choose_slot(slots, [1], granularity=1) is None


def test_template_header_alone_does_not_steal_a_conversation() -> None:
    header = [2, 105, 2364, 107]
    slots = [cached(0, header + list(range(1000, 1600)), last_used=5), Slot(1)]
    new_prompt = header + list(range(5000, 5600))
    assert choose_slot(slots, new_prompt, granularity=1) == (slots[1], 0)


def test_reuse_that_would_evict_more_than_it_saves_prefers_an_empty_slot() -> None:
    system = list(range(100))
    slots = [cached(0, system + list(range(1000, 1500))), Slot(1)]
    assert choose_slot(slots, [*system, 7, 8, 9], granularity=1) == (slots[1], 0)


def test_without_an_empty_slot_a_shared_prefix_is_still_reused() -> None:
    system = list(range(100))
    slots = [cached(0, system + list(range(1000, 1500)), last_used=2), cached(1, [9], last_used=1)]
    assert choose_slot(slots, [*system, 7, 8, 9], granularity=1) == (slots[0], 100)


def test_continuing_conversation_reuses_its_slot_even_past_the_exact_part() -> None:
    # Turn 1's prompt was chunked exactly up to 640; its reply (generated) is not exact.
    turn1 = list(range(700))
    slots = [cached(0, turn1, last_used=1, exact=640), Slot(1)]
    assert choose_slot(slots, [*turn1, 5, 6, 7], granularity=128) == (slots[0], 640)


def test_cold_prompt_takes_least_recently_used_when_no_slot_is_empty() -> None:
    slots = [cached(0, [5, 6], 3), cached(1, [7, 8], 1), cached(2, [9], 2)]
    assert choose_slot(slots, [1, 2, 3], granularity=1) == (slots[1], 0)


def test_forget_after_trims_tokens_and_exactness() -> None:
    slot = cached(0, list(range(10)), exact=8)
    slot.forget_after(5)
    assert slot.tokens == list(range(5)) and slot.exact == 5


def test_cells_of_another_adapter_set_are_never_reused() -> None:
    prompt = list(range(300))
    base_slot = cached(0, prompt[:256], last_used=2)
    lora_slot = cached(1, prompt[:128], last_used=1)
    lora_slot.adapters = ("/lora.gguf",)
    assert reusable_length(base_slot, prompt, 128, ("/lora.gguf",)) == 0
    assert choose_slot([base_slot, lora_slot], prompt, 128, ("/lora.gguf",)) == (lora_slot, 128)
    assert choose_slot([base_slot, lora_slot], prompt, 128) == (base_slot, 256)
    # Only the base's slot is free: taken, but nothing of it is kept.
    assert choose_slot([base_slot], prompt, 128, ("/other.gguf",)) == (base_slot, 0)


def test_a_prompt_with_another_image_keeps_the_text_before_it() -> None:
    # the slot holds text, an image (pseudo ids -1..-4) and more text; the new prompt has
    # another image (-11..-14) at the same place: the text before the images is kept
    slot = cached(0, [1, 2, 3, -1, -2, -3, -4, 5, 6])
    prompt = [1, 2, 3, -11, -12, -13, -14, 5, 6]
    assert reusable_length(slot, prompt, 64, images={3: 4}) == 3
    # the same image: kept through it
    assert reusable_length(slot, [1, 2, 3, -1, -2, -3, -4, 7], 64, images={3: 4}) == 7


def test_text_where_the_new_prompt_has_an_image_is_not_a_cut() -> None:
    # the slot evaluated 1..6 as text in one chunk: position 3 was not a cut there
    slot = cached(0, [1, 2, 3, 4, 5, 6])
    prompt = [1, 2, 3, -11, -12, -13, -14, 5]
    assert reusable_length(slot, prompt, 64, images={3: 4}) == 0
