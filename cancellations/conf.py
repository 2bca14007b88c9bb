"""Tunables of the request push, read from Django settings at call time (tests override them).

None of these is an environment variable: the defaults are what production wants. Tests shorten the
waits so that a real worker finishes a storm of failures in seconds.
"""

from __future__ import annotations

from django.conf import settings


def _setting(name: str, default: float) -> float:
    return getattr(settings, f"CANCELLATIONS_{name}", default)


def push_lease_seconds() -> float:
    """How long a claimed push belongs to one worker. Longer than any single attempt can take (read,
    call, short job polling), so a second worker never acts on a request a live worker still holds."""
    return _setting("PUSH_LEASE_SECONDS", 300)


def push_max_transient_errors() -> int:
    """Transient Shopify failures (5xx, timeouts, throttling) before a request is failed for a merchant."""
    return int(_setting("PUSH_MAX_TRANSIENT_ERRORS", 6))


def push_max_attempts() -> int:
    """Claims of one request before it is failed whatever happened (a request that kills its worker)."""
    return int(_setting("PUSH_MAX_ATTEMPTS", 20))


def push_retry_base_seconds() -> float:
    """First backoff after a transient failure; doubles each time, with jitter, capped at 5 minutes."""
    return _setting("PUSH_RETRY_BASE_SECONDS", 10)


def push_settle_seconds() -> float:
    """After a call whose answer was lost, how long Shopify gets to show its effect before we conclude the
    call never landed and may send it again. orderCancel is asynchronous: a re-read right after a lost
    answer can show the order not cancelled yet although the cancel is under way."""
    return _setting("PUSH_SETTLE_SECONDS", 60)


def push_verify_seconds() -> float:
    """Pause before re-reading an order whose cancel job was still running."""
    return _setting("PUSH_VERIFY_SECONDS", 5)


def push_confirm_timeout_seconds() -> float:
    """How long Shopify may take to show a cancel we sent before the request is failed for a merchant."""
    return _setting("PUSH_CONFIRM_TIMEOUT_SECONDS", 30 * 60)


def job_poll_attempts() -> int:
    """Polls of an orderCancel job inside one push attempt before handing over to a later verify step."""
    return int(_setting("JOB_POLL_ATTEMPTS", 5))


def job_poll_interval_seconds() -> float:
    return _setting("JOB_POLL_INTERVAL_SECONDS", 1.0)


def sweep_grace_seconds() -> float:
    """A request due this long ago that no worker finished is re-queued by the sweeper."""
    return _setting("SWEEP_GRACE_SECONDS", 120)


def notification_grace_seconds() -> float:
    """An e-mail not sent this long after its event is re-queued by the sweeper (broker was down)."""
    return _setting("NOTIFICATION_GRACE_SECONDS", 120)


def return_check_seconds() -> float:
    """A return still undecided here is read from Shopify this long after it was submitted, and again at
    most this often, in case the webhook saying the merchant decided it there was lost."""
    return _setting("RETURN_CHECK_SECONDS", 300)
