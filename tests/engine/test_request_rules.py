"""Option defaults, prompt truncation and context-shift arithmetic: pure, no model."""

from __future__ import annotations

import pytest

from pollama.errors import BadRequest
from pollama.runner.context_window import PROMPT_TOO_LONG, fit_prompt, keep_count, shift_discard
from pollama.runner.request_options import RequestOptions


def test_defaults_are_ollamas() -> None:
    options = RequestOptions.from_dict({})
    assert (options.temperature, options.top_k, options.top_p, options.min_p) == (0.8, 40, 0.9, 0)
    assert (options.typical_p, options.repeat_penalty, options.repeat_last_n) == (1, 1.0, 64)
    assert (options.seed, options.num_predict, options.num_keep, options.stop) == (-1, -1, 4, ())
    assert not options.penalties_active and not options.greedy


def test_known_keys_are_taken_and_others_ignored() -> None:
    options = RequestOptions.from_dict(
        {"temperature": 0, "top_k": 5.9, "stop": ["a", "b"], "num_ctx": 8, "seed": None}
    )
    assert options.greedy and options.top_k == 5 and options.stop == ("a", "b")
    assert options.seed == -1
    assert RequestOptions.from_dict({"repeat_penalty": 1.1}).penalties_active
    assert not RequestOptions.from_dict(
        {"repeat_penalty": 1.1, "repeat_last_n": 0}
    ).penalties_active


def test_num_predict_is_capped_at_ten_contexts() -> None:
    assert RequestOptions.from_dict({}).max_new_tokens(100) == 1000
    assert RequestOptions.from_dict({"num_predict": 5000}).max_new_tokens(100) == 1000
    assert RequestOptions.from_dict({"num_predict": 7}).max_new_tokens(100) == 7
    assert RequestOptions.from_dict({"repeat_last_n": -1}).penalty_window(100) == 100


def test_prompt_that_fits_is_untouched() -> None:
    tokens = list(range(99))
    assert fit_prompt(tokens, 100, 4, True, shift=False) is tokens


def test_prompt_too_long_without_shift_is_ollamas_400() -> None:
    with pytest.raises(BadRequest) as error:
        fit_prompt(list(range(100)), 100, 4, True, shift=False)
    assert error.value.message == PROMPT_TOO_LONG
    assert PROMPT_TOO_LONG.startswith("the prompt is longer than the context length")


def test_prompt_too_long_with_shift_keeps_head_and_tail_leaving_half_free() -> None:
    tokens = list(range(250))
    fitted = fit_prompt(tokens, 100, 4, True, shift=True)
    keep = 5  # num_keep after BOS
    assert fitted[:keep] == tokens[:keep]
    assert fitted[keep:] == tokens[-((100 - keep) // 2) :]
    assert len(fitted) <= 100 // 2 + keep


def test_keep_count_and_shift_discard() -> None:
    assert keep_count(4, 50, True, 100) == 5
    assert keep_count(4, 50, False, 100) == 4
    assert keep_count(-1, 50, True, 100) == 50  # -1 keeps the whole prompt
    assert keep_count(-1, 500, True, 100) == 98  # but a shift must be able to discard
    assert shift_discard(100, 5) == 47
