"""The one way the project puts a task on the broker: after the commit, fast, and never at a caller's cost.

A task names rows by primary key, so it is sent only once those rows are committed (`enqueue_on_commit`),
or a worker could look for a row that is not there yet. The publish itself runs in web requests (a
shopper's cancel, a merchant's approval, Shopify's webhook with its 5-second budget), so it must not hang
the page when the broker is slow or down: it is sent without kombu's retries, with the short socket
timeouts of `CELERY_BROKER_TRANSPORT_OPTIONS`, and a failure is logged and swallowed. Nothing is lost:
the row is committed, and a periodic sweep (`requests_sweep`, `webhook_deliveries_retry_unprocessed`,
the intake drain on beat) sends whatever was not queued.

It lives in `shopify_sync`, the lowest of the apps, so that `cancellations` and `portal` use it too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from celery import Task
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task: Task, *args: Any, on_failure: Callable[[], None] | None = None) -> bool:
    """Send `task(*args)` now; False (logged, and `on_failure` run) when the broker would not take it."""
    try:
        task.apply_async(args, retry=False)
    except Exception:  # the broker is down, slow or unreachable: the sweep sends it later
        logger.warning("could not queue %s%r; a sweep will", task.name, args, exc_info=True)
        if on_failure is not None:
            on_failure()
        return False
    return True


def enqueue_on_commit(task: Task, *args: Any, on_failure: Callable[[], None] | None = None) -> None:
    """`enqueue` once the current transaction commits (at once in autocommit)."""
    transaction.on_commit(partial(enqueue, task, *args, on_failure=on_failure))
