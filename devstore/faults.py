"""Injected failures: the next N Admin API requests or webhook deliveries misbehave on purpose.

API kinds (``http_500``, ``http_502``, ``timeout``, ``throttle``) are consumed by Admin API requests;
delivery kinds by webhook deliveries (``drop_webhooks``; ``duplicate_webhooks``: the same delivery twice,
same ``X-Shopify-Webhook-Id``; ``duplicate_event``: the same event again under a new webhook id, same
``X-Shopify-Event-Id``, as Shopify does for one event); job kinds
(``fail_jobs``: the job finishes, done, without its effect, as a Shopify cancel job may) by the jobs that
finish. With ``rate`` each of
the next N requests fails with that probability instead of always.
"""

from __future__ import annotations

import random
import threading

API_KINDS = ("http_500", "http_502", "timeout", "throttle")
DELIVERY_KINDS = ("drop_webhooks", "duplicate_webhooks", "duplicate_event")
JOB_KINDS = ("fail_jobs",)
KINDS = API_KINDS + DELIVERY_KINDS + JOB_KINDS


class Faults:
    def __init__(self, seed: int = 42) -> None:
        self._lock = threading.Lock()
        self._active: list[dict] = []
        self._random = random.Random(seed)

    def add(self, kind: str, count: int, rate: float | None = None) -> dict:
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; one of {', '.join(KINDS)}")
        if count < 1:
            raise ValueError("count must be at least 1")
        if rate is not None and not 0 < rate <= 1:
            raise ValueError("rate must be in (0, 1]")
        fault = {"kind": kind, "remaining": int(count), "rate": rate, "fired": 0}
        with self._lock:
            self._active.append(fault)
        return dict(fault)

    def _take(self, kinds: tuple[str, ...]) -> str | None:
        with self._lock:
            for fault in self._active:
                if fault["kind"] not in kinds or fault["remaining"] <= 0:
                    continue
                fault["remaining"] -= 1
                fires = fault["rate"] is None or self._random.random() < fault["rate"]
                if fires:
                    fault["fired"] += 1
                self._active = [f for f in self._active if f["remaining"] > 0]
                if fires:
                    return fault["kind"]
                return None
        return None

    def take_api(self) -> str | None:
        return self._take(API_KINDS)

    def take_delivery(self) -> str | None:
        return self._take(DELIVERY_KINDS)

    def take_job(self) -> str | None:
        return self._take(JOB_KINDS)

    def snapshot(self) -> list[dict]:
        with self._lock:
            return [dict(f) for f in self._active]

    def clear(self) -> None:
        with self._lock:
            self._active = []
