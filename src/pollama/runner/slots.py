"""Slots and the prefix cache: each slot is one KV sequence and remembers the tokens in it.

A new request takes the free slot whose cached tokens share the longest prefix with its
prompt, so many conversations keep their history cached side by side. That slot is passed
over when reusing it would throw away more cached tokens than it saves while an empty slot
is free, or when the shared prefix is under a tenth of the prompt (a chat template header);
then an empty slot, else the least recently used one, is taken, so a cold request does not
evict another conversation's cache for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A shared prefix shorter than this fraction of the prompt is not worth a warm slot.
MIN_REUSE_FRACTION = 0.1


@dataclass
class Slot:
    seq_id: int
    tokens: list[int] = field(default_factory=list)  # exactly what the KV sequence holds
    busy: bool = False
    last_used: int = 0  # a counter, larger = more recent


def common_prefix_length(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def reusable_length(cached: list[int], prompt: list[int]) -> int:
    """Cached tokens a prompt can keep: the common prefix, leaving one token to evaluate."""
    return min(common_prefix_length(cached, prompt), max(len(prompt) - 1, 0))


def choose_slot(slots: list[Slot], prompt: list[int]) -> tuple[Slot, int] | None:
    """Pick a free slot for `prompt`; return it with the number of cached tokens to keep."""
    free = [slot for slot in slots if not slot.busy]
    if not free:
        return None
    scored = [(reusable_length(slot.tokens, prompt), slot) for slot in free]
    # Longest reuse; then the fewest cached tokens thrown away; then least recently used.
    best_length, best = max(
        scored, key=lambda item: (item[0], item[0] - len(item[1].tokens), -item[1].last_used)
    )
    empty = [slot for slot in free if not slot.tokens]
    worthwhile = best_length > 0 and best_length >= MIN_REUSE_FRACTION * len(prompt)
    evicts = len(best.tokens) - best_length
    if worthwhile and (best_length >= evicts or not empty):
        return best, best_length
    if empty:
        return min(empty, key=lambda slot: slot.last_used), 0
    oldest = min(free, key=lambda slot: slot.last_used)
    return oldest, reusable_length(oldest.tokens, prompt)
