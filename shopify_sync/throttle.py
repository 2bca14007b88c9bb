"""Pacing requests to Shopify's cost-based leaky bucket.

Shopify gives each app and store a bucket of points (2000 on a standard plan) that refills at a fixed rate
(100 points/s). Every GraphQL answer reports the bucket (`extensions.cost.throttleStatus`); a request whose
cost does not fit is refused with THROTTLED. Refusals waste a round trip and budget, so we never send a
request that would not fit: we track the bucket from the last answer, let it refill with time, and sleep
exactly as long as the bucket needs before sending.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ThrottleStatus:
    maximum_available: float
    currently_available: float
    restore_rate: float

    @classmethod
    def from_extensions(cls, extensions: dict | None) -> ThrottleStatus | None:
        status = ((extensions or {}).get("cost") or {}).get("throttleStatus")
        if not status:
            return None
        return cls(
            maximum_available=float(status["maximumAvailable"]),
            currently_available=float(status["currentlyAvailable"]),
            restore_rate=float(status["restoreRate"]),
        )


class CostBucket:
    """Our picture of Shopify's bucket for one store, shared by the threads of one process.

    Several processes (workers) share one real bucket at Shopify; each one's picture is refreshed by every
    answer it gets, and a THROTTLED answer (possible only when another process spent the budget) is waited
    out by the client with the same arithmetic.
    """

    def __init__(
        self, *, clock: Callable[[], float] = time.monotonic, sleep: Callable[[float], None] = time.sleep
    ):
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._status: ThrottleStatus | None = None
        self._observed_at = 0.0
        self._reserved = 0.0

    def available_now(self) -> float | None:
        if self._status is None:
            return None
        refilled = (self._clock() - self._observed_at) * self._status.restore_rate
        available = self._status.currently_available + refilled - self._reserved
        return min(self._status.maximum_available, available)

    def seconds_until(self, cost: float) -> float:
        """How long to wait before `cost` points fit (0 when they fit now or the bucket is unknown)."""
        with self._lock:
            available = self.available_now()
            if available is None or self._status is None:
                return 0.0
            # A request larger than the whole bucket can only ever be sent into a full one.
            cost = min(cost, self._status.maximum_available)
            if available >= cost:
                return 0.0
            return (cost - available) / self._status.restore_rate

    def acquire(self, cost: float) -> float:
        """Wait until `cost` fits, then reserve it until the answer arrives. Returns the seconds waited."""
        waited = 0.0
        while True:
            delay = self.seconds_until(cost)
            if delay <= 0:
                break
            self._sleep(delay)
            waited += delay
        with self._lock:
            self._reserved += cost
        return waited

    def release(self, cost: float, status: ThrottleStatus | None) -> None:
        """The answer came: forget the reservation and take Shopify's word for the bucket."""
        with self._lock:
            self._reserved = max(0.0, self._reserved - cost)
            if status is not None:
                self._status = status
                self._observed_at = self._clock()

    @property
    def status(self) -> ThrottleStatus | None:
        return self._status
