"""`--verbose` / `/set verbose`: the timing summary printed to stderr after each response
(Ollama's api/types.go, Metrics.Summary).

Labels are padded so every value starts at column 23, durations are Go `time.Duration` strings,
rates are `count / seconds` with two decimals, and a line appears only when its value is > 0.
pollama adds the prompt tokens taken from the cache and, with speculative decoding, the share
of drafted tokens the model accepted.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from rich.console import Console

from pollama.go.time import SECOND, format_go_duration

_LABEL_WIDTH = 22  # "prompt eval duration: " is the longest label; values start right after


def _line(label: str, value: str) -> str:
    return f"{label + ':':<{_LABEL_WIDTH}}{value}"


def _int(metrics: Mapping[str, Any], key: str) -> int:
    value = metrics.get(key)
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0


def _rate(count: int, duration_ns: int) -> str:
    return f"{count / (duration_ns / SECOND):.2f} tokens/s"


def summary_lines(metrics: Mapping[str, Any]) -> list[str]:
    """The summary of a final chunk's metrics, one string per printed line."""
    total = _int(metrics, "total_duration")
    load = _int(metrics, "load_duration")
    prompt_count = _int(metrics, "prompt_eval_count")
    prompt_duration = _int(metrics, "prompt_eval_duration")
    cached = _int(metrics, "prompt_cache_count")  # pollama's addition: prompt tokens reused
    eval_count = _int(metrics, "eval_count")
    eval_duration = _int(metrics, "eval_duration")
    drafted = _int(metrics, "draft_count")
    accepted = _int(metrics, "draft_accepted_count")

    lines: list[str] = []
    if total > 0:
        lines.append(_line("total duration", format_go_duration(total)))
    if load > 0:
        lines.append(_line("load duration", format_go_duration(load)))
    if prompt_count > 0:
        lines.append(_line("prompt eval count", f"{prompt_count} token(s)"))
    if cached > 0:
        lines.append(_line("prompt cache count", f"{cached} token(s)"))
    if prompt_duration > 0:
        lines.append(_line("prompt eval duration", format_go_duration(prompt_duration)))
        lines.append(_line("prompt eval rate", _rate(prompt_count, prompt_duration)))
    if eval_count > 0:
        lines.append(_line("eval count", f"{eval_count} token(s)"))
    if eval_duration > 0:
        lines.append(_line("eval duration", format_go_duration(eval_duration)))
        lines.append(_line("eval rate", _rate(eval_count, eval_duration)))
    if drafted > 0:
        share = f"{accepted / drafted * 100:.2f}%"
        lines.append(_line("draft acceptance", f"{share} ({accepted}/{drafted})"))
    return lines


def print_summary(metrics: Mapping[str, Any], err: Console) -> None:
    for line in summary_lines(metrics):
        err.print(line, markup=False, highlight=False)
