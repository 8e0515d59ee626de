"""Timestamps as Go's RFC3339Nano prints them (§0): nanoseconds with trailing zeros trimmed,
`Z` for a zero offset, `±hh:mm` otherwise."""

from __future__ import annotations

import time
from datetime import datetime, timedelta, timezone


def _format(seconds: int, nanos: int, offset: timedelta) -> str:
    moment = datetime.fromtimestamp(seconds, timezone(offset))
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    fraction = f"{nanos:09d}".rstrip("0")
    if fraction:
        text += "." + fraction
    total = int(offset.total_seconds())
    if total == 0:
        return text + "Z"
    sign = "+" if total > 0 else "-"
    hours, minutes = divmod(abs(total) // 60, 60)
    return f"{text}{sign}{hours:02d}:{minutes:02d}"


def utc_now() -> str:
    """`created_at` of responses: UTC now."""
    ns = time.time_ns()
    return _format(ns // 1_000_000_000, ns % 1_000_000_000, timedelta(0))


def local(timestamp_ns: int) -> str:
    """File-derived times (`modified_at`, `expires_at`): local time with its numeric offset."""
    seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
    offset = datetime.fromtimestamp(seconds).astimezone().utcoffset() or timedelta(0)
    return _format(seconds, nanos, offset)


def local_from_seconds(timestamp: float) -> str:
    return local(int(timestamp * 1_000_000_000))


def utc_from_seconds(timestamp: float) -> str:
    """A file time in UTC (`Z`), whole seconds, as Anthropic's `created_at`."""
    return _format(int(timestamp), 0, timedelta(0))
