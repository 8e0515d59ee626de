"""The `--verbose` summary: labels, Go durations, rates, and which lines appear."""

from __future__ import annotations

from pollama.cli.verbose import print_summary, summary_lines
from tests.cli.fakes import capture_console, text_of

FULL = {
    "total_duration": 5_043_500_667,
    "load_duration": 5_025_959,
    "prompt_eval_count": 26,
    "prompt_eval_duration": 325_953_000,
    "eval_count": 290,
    "eval_duration": 4_709_213_000,
}


def test_full_summary_matches_ollama() -> None:
    assert summary_lines(FULL) == [
        "total duration:       5.043500667s",
        "load duration:        5.025959ms",
        "prompt eval count:    26 token(s)",
        "prompt eval duration: 325.953ms",
        "prompt eval rate:     79.77 tokens/s",
        "eval count:           290 token(s)",
        "eval duration:        4.709213s",
        "eval rate:            61.58 tokens/s",
    ]


def test_values_start_at_column_23() -> None:
    for line in summary_lines({**FULL, "prompt_cache_count": 3, "draft_count": 2}):
        label, _, _ = line.partition(":")
        assert line[22] != " " and line[21] == " ", line
        assert len(label) + 1 <= 22


def test_zero_and_missing_values_are_left_out() -> None:
    lines = summary_lines({"total_duration": 1_500, "eval_count": 0, "eval_duration": 0})
    assert lines == ["total duration:       1.5µs"]
    assert summary_lines({}) == []


def test_prompt_cache_count_line() -> None:
    lines = summary_lines({**FULL, "prompt_cache_count": 20})
    assert lines[3] == "prompt cache count:   20 token(s)"
    assert "prompt cache count" not in "".join(summary_lines({**FULL, "prompt_cache_count": 0}))


def test_draft_acceptance_line() -> None:
    lines = summary_lines({**FULL, "draft_count": 30, "draft_accepted_count": 24})
    assert lines[-1] == "draft acceptance:     80.00% (24/30)"
    assert lines[:-1] == summary_lines(FULL)
    none_accepted = summary_lines({"draft_count": 8, "draft_accepted_count": 0})
    assert none_accepted == ["draft acceptance:     0.00% (0/8)"]
    assert summary_lines({**FULL, "draft_count": 0}) == summary_lines(FULL)


def test_rate_without_count_is_zero() -> None:
    assert summary_lines({"eval_duration": 2_000_000_000}) == [
        "eval duration:        2s",
        "eval rate:            0.00 tokens/s",
    ]


def test_minutes_durations() -> None:
    assert summary_lines({"total_duration": 123_500_000_000}) == ["total duration:       2m3.5s"]


def test_print_summary_writes_each_line() -> None:
    err = capture_console()
    print_summary(FULL, err)
    assert text_of(err).splitlines() == summary_lines(FULL)
