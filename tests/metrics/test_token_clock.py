"""`TokenClock`: chunks' cumulative eval counts become one first token and a gap per later
token, however the runner grouped the tokens into chunks."""

from __future__ import annotations

from pollama.serving.usage import TokenClock

MS = 1_000_000  # nanoseconds


class Observations:
    def __init__(self) -> None:
        self.first: list[float] = []
        self.gaps: list[float] = []
        self.completions: list[tuple[int, int, int]] = []

    def first_token(self, model: str, seconds: float) -> None:
        self.first.append(seconds)

    def token_gaps(self, model: str, seconds: float, count: int) -> None:
        self.gaps.extend([seconds] * count)

    def completed(self, model: str, *, prompt: int, generated: int, cached: int) -> None:
        self.completions.append((prompt, generated, cached))


def test_one_token_a_chunk_gives_the_gaps_between_chunks() -> None:
    seen = Observations()
    clock = TokenClock("m", started_ns=0, observer=seen)
    for count, at in [(1, 50), (2, 60), (3, 75)]:
        clock.chunk(count, at * MS)
    assert seen.first == [0.05]
    assert seen.gaps == [0.01, 0.015]


def test_a_chunk_of_several_tokens_spreads_its_gap_over_them() -> None:
    seen = Observations()
    clock = TokenClock("m", started_ns=10 * MS, observer=seen)
    clock.chunk(3, 30 * MS)  # the first token and two that came with it
    clock.chunk(3, 35 * MS)  # nothing new (text held back, or the final chunk)
    clock.chunk(7, 70 * MS)  # four more in 40 ms
    assert seen.first == [0.02]
    assert seen.gaps == [0.0, 0.0, 0.01, 0.01, 0.01, 0.01]
    assert len(seen.gaps) == 7 - 1  # one per token after the first


def test_a_generation_without_tokens_reports_nothing() -> None:
    seen = Observations()
    clock = TokenClock("m", started_ns=0, observer=seen)
    clock.chunk(0, 5 * MS)
    assert seen.first == [] and seen.gaps == []
