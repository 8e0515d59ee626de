"""Slots and the prefix cache: each slot is one KV sequence and remembers the tokens in it.

Exactness: llama.cpp's numbers for a token depend on how it was evaluated (how many rows of
its sequence shared the ubatch, prompt chunk or single decode step). So prompts are always
evaluated in chunks of `granularity` tokens aligned to multiples of it, and a slot only
offers for reuse the leading tokens that were evaluated in such full, aligned chunks
(`exact`). A warm request then computes exactly what a cold one would: bit-identical logits.

Choice: a new request takes the free slot with the longest reusable prefix, so many
conversations keep their history cached side by side. That slot is passed over when
reusing it would throw away more cached tokens than it saves while an empty slot is free,
or when the shared prefix is under a tenth of the prompt (a chat template header); then an
empty slot, else the least recently used one, is taken, so a cold request does not evict
another conversation's cache for nothing.

Images: an image is evaluated whole, and prompts are also cut at each image's start and end,
so those are reuse points too (an image's positions hold ids derived from its bytes: the
same image matches, another never does). A reuse point is never inside an image: that
image is evaluated again from its start.

Adapters: cells computed under one LoRA adapter set are other numbers than the base's (or
another set's), so a slot's tokens are only reusable by a request with the same adapter set
as the one its cells were computed under (`Slot.adapters`); for any other request the slot
holds nothing reusable and all its tokens count as lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# A shared prefix shorter than this fraction of the prompt is not worth a warm slot.
MIN_REUSE_FRACTION = 0.1


@dataclass
class Slot:
    seq_id: int
    tokens: list[int] = field(default_factory=list)  # exactly what the KV sequence holds
    exact: int = 0  # leading tokens evaluated in full aligned prompt chunks
    busy: bool = False
    last_used: int = 0  # a counter, larger = more recent
    adapters: tuple[str, ...] = ()  # the LoRA set its cells were computed under

    def forget_after(self, keep: int) -> None:
        del self.tokens[keep:]
        self.exact = min(self.exact, keep)


def common_prefix_length(a: list[int], b: list[int]) -> int:
    n = min(len(a), len(b))
    i = 0
    while i < n and a[i] == b[i]:
        i += 1
    return i


def reusable_length(
    slot: Slot,
    prompt: list[int],
    granularity: int,
    adapters: tuple[str, ...] = (),
    images: dict[int, int] | None = None,
) -> int:
    """Cached tokens `prompt` (under `adapters`, with `images`: first position -> length) can
    keep from `slot`: the exact common prefix up to a cut (a whole chunk, an image's end, or
    the start of an image the slot holds too), leaving at least one token to evaluate."""
    if slot.adapters != adapters:
        return 0
    shared = common_prefix_length(slot.tokens, prompt)
    limit = min(shared, slot.exact, len(prompt) - 1)
    if limit <= 0:
        return 0
    cuts = [limit // granularity * granularity]
    for start, length in (images or {}).items():
        if start + length <= limit:
            cuts.append(start + length)
        if start <= limit and _slot_image_starts_at(slot, start, shared):
            cuts.append(start)
    best = max(cuts)
    for start, length in (images or {}).items():
        if start < best < start + length:
            return start
    return best


def _slot_image_starts_at(slot: Slot, start: int, shared: int) -> bool:
    """Whether the slot's prompt was cut at `start` too: it holds an image there (the same
    image when the prefix runs past it, another one when the prefix ends there). Pseudo
    ids are negative; a slot with text there evaluated it inside a chunk, not on a cut."""
    if start < shared:
        return True
    return start == shared and start < len(slot.tokens) and slot.tokens[start] < 0


def choose_slot(
    slots: list[Slot],
    prompt: list[int],
    granularity: int,
    adapters: tuple[str, ...] = (),
    images: dict[int, int] | None = None,
) -> tuple[Slot, int] | None:
    """Pick a free slot for `prompt` under `adapters` (with `images`, as reusable_length
    takes them); return it with the number of cached tokens to keep."""
    free = [slot for slot in slots if not slot.busy]
    if not free:
        return None

    def score(slot: Slot) -> tuple[int, int, int]:
        # Longest reuse; then the fewest cached tokens thrown away; then least recently used.
        shared = common_prefix_length(slot.tokens, prompt) if slot.adapters == adapters else 0
        lost = len(slot.tokens) - shared
        reuse = reusable_length(slot, prompt, granularity, adapters, images)
        return reuse, -lost, -slot.last_used

    best = max(free, key=score)
    best_length, lost, _ = score(best)
    empty = [slot for slot in free if not slot.tokens]
    worthwhile = best_length > 0 and best_length >= MIN_REUSE_FRACTION * len(prompt)
    if worthwhile and (best_length >= -lost or not empty):
        return best, best_length
    if empty:
        return min(empty, key=lambda slot: slot.last_used), 0
    oldest = min(free, key=lambda slot: slot.last_used)
    return oldest, reusable_length(oldest, prompt, granularity, adapters, images)
