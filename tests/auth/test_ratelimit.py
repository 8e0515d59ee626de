"""Token buckets on a fake clock: a burst of N, then N per period, Retry-After in whole
seconds and at least 1."""

from __future__ import annotations

import pytest

from pollama.auth.ratelimit import Rate, RateLimiter, TokenBucket


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize(
    ("text", "count", "period"), [("60/m", 60, 60.0), ("2/s", 2, 1.0), ("100/h", 100, 3600.0)]
)
def test_parse(text: str, count: int, period: float) -> None:
    rate = Rate.parse(text)
    assert (rate.count, rate.period, str(rate)) == (count, period, text)


@pytest.mark.parametrize("text", ["", "60", "60/d", "0/m", "-1/m", "x/m", "60/min", "1.5/s"])
def test_parse_refuses(text: str) -> None:
    with pytest.raises(ValueError, match="expected N/s, N/m or N/h"):
        Rate.parse(text)


def test_bucket_math() -> None:
    bucket = TokenBucket(Rate(3, "m"), tokens=3.0, updated=0.0)
    assert [bucket.take(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(20.0)  # one token every 20 s
    assert bucket.take(15.0) == pytest.approx(5.0)
    assert bucket.take(20.0) == 0.0
    assert bucket.take(1000.0) == 0.0  # refilled, but never above the burst
    assert bucket.tokens == pytest.approx(2.0)


def test_limiter_burst_then_retry_after() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    rate = Rate(2, "m")
    assert limiter.retry_after("k1", rate) is None
    assert limiter.retry_after("k1", rate) is None
    assert limiter.retry_after("k1", rate) == 30
    assert limiter.retry_after("k2", rate) is None  # each key has its own bucket
    clock.now += 29.5
    assert limiter.retry_after("k1", rate) == 1  # half a second left: rounded up to 1
    clock.now += 0.5
    assert limiter.retry_after("k1", rate) is None
    assert limiter.retry_after("k1", rate) == 30


def test_retry_after_is_at_least_one_second() -> None:
    clock = FakeClock()
    limiter = RateLimiter(clock=clock)
    rate = Rate(100, "s")
    for _ in range(100):
        assert limiter.retry_after("k", rate) is None
    assert limiter.retry_after("k", rate) == 1  # 10 ms away, said as 1 s


def test_a_changed_rate_starts_a_fresh_bucket() -> None:
    limiter = RateLimiter(clock=FakeClock())
    assert limiter.retry_after("k", Rate(1, "h")) is None
    assert limiter.retry_after("k", Rate(1, "h")) == 3600
    assert limiter.retry_after("k", Rate(5, "h")) is None
