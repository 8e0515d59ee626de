"""Ways to cut a recorded output into streamed chunks; every parser must give the same result."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

Splitter = Callable[[str], Iterator[str]]


def whole(text: str) -> Iterator[str]:
    yield text


def by_char(text: str) -> Iterator[str]:
    yield from text


def random_splits(seed: int) -> Splitter:
    def split(text: str) -> Iterator[str]:
        rng = random.Random(seed)
        pos = 0
        while pos < len(text):
            size = rng.randint(1, 7)
            yield text[pos : pos + size]
            pos += size

    split.__name__ = f"random_splits_{seed}"
    return split


SPLITTERS: list[Splitter] = [whole, by_char, *(random_splits(seed) for seed in range(6))]
SPLITTER_IDS = [splitter.__name__ for splitter in SPLITTERS]
