"""The leaky bucket behind Shopify's GraphQL rate limit (one bucket per shop; the devstore has one shop).

A query is admitted when the bucket holds its *requested* cost; afterwards the difference to the *actual*
cost is given back, so the bucket is charged what the query really cost (Shopify does the same).
"""

from __future__ import annotations

import threading
import time


class LeakyBucket:
    def __init__(self, maximum: float = 2000, restore_rate: float = 100) -> None:
        self.maximum = float(maximum)
        self.restore_rate = float(restore_rate)
        self._available = float(maximum)
        self._at = time.monotonic()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = time.monotonic()
        self._available = min(self.maximum, self._available + (now - self._at) * self.restore_rate)
        self._at = now

    def take(self, cost: int) -> bool:
        with self._lock:
            self._refill()
            if cost > self._available:
                return False
            self._available -= cost
            return True

    def give_back(self, amount: int) -> None:
        with self._lock:
            self._refill()
            self._available = min(self.maximum, self._available + max(amount, 0))

    def drain(self) -> None:
        with self._lock:
            self._available = 0.0
            self._at = time.monotonic()

    def reset(self) -> None:
        with self._lock:
            self._available = self.maximum
            self._at = time.monotonic()

    def status(self) -> dict:
        """``throttleStatus`` as every recording shows it (integers for a standard shop)."""
        with self._lock:
            self._refill()
            return {
                "maximumAvailable": _num(self.maximum),
                "currentlyAvailable": int(self._available),
                "restoreRate": _num(self.restore_rate),
            }


def _num(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value
