"""Ollama's human-readable sizes and times (`format.HumanBytes`, `format.HumanTime`)."""

from __future__ import annotations

import time

_UNITS = [(1000**4, "TB"), (1000**3, "GB"), (1000**2, "MB"), (1000, "KB")]


def human_bytes(size: int) -> str:
    for factor, unit in _UNITS:
        if size >= factor:
            value = size / factor
            return f"{value:.0f} {unit}" if value >= 10 else f"{value:.1f} {unit}"
    return f"{size} B"


def _plural(n: int, unit: str) -> str:
    return f"{n} {unit}" if n == 1 else f"{n} {unit}s"


def _duration(seconds: float) -> str:
    if seconds < 1:
        return "Less than a second"
    if seconds < 2:
        return "1 second"
    if seconds < 60:
        return f"{int(seconds)} seconds"
    minutes = seconds / 60
    if minutes < 2:
        return "About a minute"
    if minutes < 60:
        return f"{int(minutes)} minutes"
    hours = minutes / 60
    if hours < 2:
        return "About an hour"
    if hours < 48:
        return f"{int(hours)} hours"
    days = hours / 24
    if days < 14:
        return f"{int(days)} days"
    if days < 60:
        return _plural(int(days / 7), "week")
    if days < 730:
        return _plural(int(days / 30), "month")
    return _plural(int(days / 365), "year")


def human_time(timestamp: float, now: float | None = None) -> str:
    """`2 weeks ago`, `4 minutes from now`, `Forever` for keep-alive-forever expiries."""
    now = time.time() if now is None else now
    delta = timestamp - now
    if delta > 100 * 365 * 86400:
        return "Forever"
    if delta > 0:
        return f"{_duration(delta)} from now"
    return f"{_duration(-delta)} ago"
