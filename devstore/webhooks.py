"""Webhook delivery: a background thread posts REST-shaped JSON to each subscriber, signed like Shopify.

Deliveries never happen inside the request that caused them: topics are queued and a worker thread sends
them with a 5 s timeout. A failed attempt (non-2xx or connection error) is retried with exponential
backoff (``retry_base`` x 2^attempt, up to ``max_attempts``), keeping the same ``X-Shopify-Webhook-Id`` so
receivers can dedupe on it. One event sent to several subscriptions (or, by the ``duplicate_event`` fault,
twice to one) goes out under one ``X-Shopify-Event-Id`` and a webhook id per delivery.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import json
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable

from . import API_VERSION, clock
from .faults import Faults

DELIVERY_TIMEOUT = 5.0


def sign(body: bytes, secret: str) -> str:
    """X-Shopify-Hmac-Sha256: base64 of HMAC-SHA256 over the raw body, keyed with the app secret."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


class WebhookDispatcher:
    def __init__(
        self,
        *,
        secret: str,
        shop_domain: str,
        default_url: str | None,
        subscribers: Callable[[str], list[str]],
        log: Callable[[dict], None],
        faults: Faults,
        retry_base: float = 0.5,
        max_attempts: int = 8,
    ) -> None:
        self.secret = secret
        self.shop_domain = shop_domain
        self.default_url = default_url
        self.subscribers = subscribers
        self.log = log
        self.faults = faults
        self.retry_base = retry_base
        self.max_attempts = max_attempts
        self._heap: list[tuple[float, int, dict]] = []
        self._seq = 0
        self._cond = threading.Condition()
        self._stopped = False
        self._workers = [
            threading.Thread(target=self._run, name=f"webhooks-{i}", daemon=True) for i in range(4)
        ]
        for worker in self._workers:
            worker.start()

    # --- queueing ----------------------------------------------------------------------------------

    def emit(self, topic: str, body: dict, subscribers_only: bool = False) -> None:
        """Queue one delivery of ``topic`` per distinct subscriber URL (the --webhook-url included)."""
        urls: list[str] = []
        if self.default_url and not subscribers_only:
            urls.append(self.default_url)
        for url in self.subscribers(topic):
            if url not in urls:
                urls.append(url)
        raw = json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
        triggered_at = clock.iso_ms(clock.now())
        event_id = str(uuid.uuid4())
        for url in urls:
            delivery = {
                "webhook_id": str(uuid.uuid4()),
                "event_id": event_id,
                "topic": topic,
                "url": url,
                "body": raw,
                "triggered_at": triggered_at,
                "attempt": 0,
            }
            fault = self.faults.take_delivery()
            if fault == "drop_webhooks":
                self.log(self._entry(delivery, status="dropped", attempt=1))
                continue
            self._push(0.0, delivery)
            if fault == "duplicate_webhooks":
                self._push(0.0, dict(delivery))
            if fault == "duplicate_event":  # one event, two webhooks: receivers dedupe on the event id
                self._push(0.0, {**delivery, "webhook_id": str(uuid.uuid4())})

    def _push(self, delay: float, delivery: dict) -> None:
        with self._cond:
            self._seq += 1
            heapq.heappush(self._heap, (time.monotonic() + delay, self._seq, delivery))
            self._cond.notify()

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify_all()

    def clear(self) -> None:
        with self._cond:
            self._heap = []

    # --- sending -----------------------------------------------------------------------------------

    def _run(self) -> None:
        while True:
            with self._cond:
                while not self._stopped and (not self._heap or self._heap[0][0] > time.monotonic()):
                    timeout = None if not self._heap else max(self._heap[0][0] - time.monotonic(), 0)
                    self._cond.wait(timeout)
                if self._stopped:
                    return
                _, _, delivery = heapq.heappop(self._heap)
            self._attempt(delivery)

    def _headers(self, delivery: dict) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Shopify-Topic": delivery["topic"],
            "X-Shopify-Hmac-Sha256": sign(delivery["body"], self.secret),
            "X-Shopify-Shop-Domain": self.shop_domain,
            "X-Shopify-API-Version": API_VERSION,
            "X-Shopify-Webhook-Id": delivery["webhook_id"],
            "X-Shopify-Event-Id": delivery["event_id"],
            "X-Shopify-Triggered-At": delivery["triggered_at"],
            "User-Agent": "Shopify-Captain-Hook",
        }

    def _entry(self, delivery: dict, *, status, attempt: int, error: str | None = None) -> dict:
        entry = {
            "webhook_id": delivery["webhook_id"],
            "event_id": delivery["event_id"],
            "topic": delivery["topic"],
            "url": delivery["url"],
            "attempt": attempt,
            "status": status,
            "at": clock.iso_ms(clock.now()),
        }
        if error:
            entry["error"] = error
        return entry

    def _attempt(self, delivery: dict) -> None:
        delivery["attempt"] += 1
        # Subscriber URLs are http(s) only (checked by webhookSubscriptionCreate and the CLI).
        request = urllib.request.Request(  # noqa: S310
            delivery["url"], data=delivery["body"], headers=self._headers(delivery), method="POST"
        )
        status: int | str
        error = None
        try:
            with urllib.request.urlopen(request, timeout=DELIVERY_TIMEOUT) as response:  # noqa: S310
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (urllib.error.URLError, OSError, TimeoutError) as exc:
            status, error = "error", str(getattr(exc, "reason", exc))
        self.log(self._entry(delivery, status=status, attempt=delivery["attempt"], error=error))
        ok = isinstance(status, int) and 200 <= status < 300
        if not ok and delivery["attempt"] < self.max_attempts:
            self._push(self.retry_base * (2 ** (delivery["attempt"] - 1)), delivery)
