"""Per-key rate limits: a token bucket per key holding up to N requests, refilled at N per
period (`rate=60/m` lets a burst of 60 through, then one a second)."""

from __future__ import annotations

import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

_PERIODS = {"s": 1.0, "m": 60.0, "h": 3600.0}
_RATE = re.compile(r"([0-9]+)/([smh])")


@dataclass(frozen=True)
class Rate:
    count: int
    unit: str  # "s", "m" or "h"

    @classmethod
    def parse(cls, text: str) -> Rate:
        """`N/s`, `N/m` or `N/h` with N >= 1; a ValueError says what is wrong."""
        match = _RATE.fullmatch(text.strip())
        if match is None or int(match.group(1)) < 1:
            raise ValueError(f"invalid rate {text!r}: expected N/s, N/m or N/h with N >= 1")
        return cls(int(match.group(1)), match.group(2))

    @property
    def period(self) -> float:
        return _PERIODS[self.unit]

    @property
    def per_second(self) -> float:
        return self.count / self.period

    def __str__(self) -> str:
        return f"{self.count}/{self.unit}"


@dataclass
class TokenBucket:
    rate: Rate
    tokens: float
    updated: float

    def take(self, now: float) -> float:
        """Spend one token: 0.0 when there was one, else the seconds until there will be."""
        elapsed = max(0.0, now - self.updated)
        self.tokens = min(float(self.rate.count), self.tokens + elapsed * self.rate.per_second)
        self.updated = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return 0.0
        return (1.0 - self.tokens) / self.rate.per_second


@dataclass
class RateLimiter:
    """The buckets of every key, on an injectable monotonic clock (tests pass their own)."""

    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def retry_after(self, key_id: str, rate: Rate) -> int | None:
        """None when the request may go ahead, else whole seconds to wait (at least 1)."""
        now = self.clock()
        bucket = self._buckets.get(key_id)
        if bucket is None or bucket.rate != rate:  # a new key, or its rate was changed
            bucket = self._buckets[key_id] = TokenBucket(rate, float(rate.count), now)
        wait = bucket.take(now)
        return None if wait == 0.0 else max(1, math.ceil(wait))
