from __future__ import annotations

import pytest

from shopify_sync.throttle import CostBucket, ThrottleStatus


class FakeTime:
    """A clock the test moves: the bucket's arithmetic is checked without waiting for real."""

    def __init__(self) -> None:
        self.now = 0.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def _bucket(available: float, maximum: float = 2000, rate: float = 100):
    time = FakeTime()
    bucket = CostBucket(clock=time.clock, sleep=time.sleep)
    bucket.release(0, ThrottleStatus(maximum, available, rate))
    return bucket, time


def test_it_sends_at_once_when_the_cost_fits():
    bucket, time = _bucket(available=500)

    assert bucket.acquire(400) == 0
    assert time.slept == []


def test_it_waits_exactly_as_long_as_the_bucket_needs_to_refill():
    bucket, _ = _bucket(available=100, rate=100)

    waited = bucket.acquire(350)

    assert waited == pytest.approx(2.5)


def test_it_counts_what_is_in_flight_against_the_next_request():
    bucket, _ = _bucket(available=300, rate=100)
    bucket.acquire(200)

    assert bucket.seconds_until(200) == pytest.approx(1.0)


def test_a_request_larger_than_the_bucket_waits_for_a_full_bucket_not_forever():
    bucket, _ = _bucket(available=0, maximum=150, rate=50)

    assert bucket.seconds_until(500) == pytest.approx(3.0)


def test_an_unknown_bucket_does_not_hold_the_first_request_back():
    assert CostBucket().seconds_until(999) == 0
